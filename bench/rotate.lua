-- wrk script: each request asks for a random one of the first ND_ROTATE stories (cache misses until warm).
local n = tonumber(os.getenv("ND_ROTATE") or "1000")
math.randomseed(7)
request = function()
  return wrk.format("GET", "/story-" .. math.random(0, n - 1) .. "/")
end
