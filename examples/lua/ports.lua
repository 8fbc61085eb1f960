-- Required by the lua: block as require("ports"). Modules run once per bake.
local M = {}

-- The first port of the example; override with EXAMPLE_BASE_PORT in the environment of `kepler`.
function M.base(sys_env)
  return tonumber(sys_env.EXAMPLE_BASE_PORT) or 18300
end

return M
