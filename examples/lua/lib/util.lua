-- require("lib.util") loads this file (dots become slashes).
local util = {}

function util.clamp(value, low, high)
  return math.max(low, math.min(high, value))
end

return util
