-- Used with !lua_file: returns a whole healthcheck block for the api service.
return {
  http = "http://127.0.0.1:" .. port_of(1) .. "/",
  interval = "1s",
  timeout = "2s",
  retries = 5,
}
