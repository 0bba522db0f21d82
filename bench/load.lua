-- bench/load.lua - wrk script of bench/load: mixed reads and writes on the
-- persistent disk service, each connection keep-alive with Basic auth.
--   55 % GET /disks/<uuid> of a seeded disk      (read)
--   15 % GET /vms/                                (read, the cloud's list)
--   20 % POST /disks/ size=1 tag=load-T-N         (write: a new disk)
--   10 % DELETE /disks/<uuid> of a disk this thread created (write)
-- Every answer's status is counted; each DELETE sent ("S uuid"), each 201
-- ("C uuid tag") and each 200 to a DELETE ("D uuid") is written to
-- OUT/thread-T.log, which bench/load then checks against the stored disks
-- (a DELETE whose answer was not seen, at the end of the run, may or may not
-- have happened; everything answered 2xx must be so). Environment: LOAD_AUTH (the Authorization header
-- value), LOAD_SEED (a file of seeded uuids), LOAD_OUT (a directory).

local auth = os.getenv("LOAD_AUTH")
local seed_file = os.getenv("LOAD_SEED")
local out_dir = os.getenv("LOAD_OUT")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local seeds, created, log = {}, {}, nil
codes = {} -- global: done() reads it from each thread with thread:get
local n = 0

function init(args)
  for line in io.lines(seed_file) do
    seeds[#seeds + 1] = line
  end
  log = assert(io.open(out_dir .. "/thread-" .. tid .. ".log", "w"))
  log:setvbuf("line")
  math.randomseed(tid * 7919 + os.time())
end

local headers_form = { ["Authorization"] = nil, ["Content-Type"] = "application/x-www-form-urlencoded" }
local headers_get = { ["Authorization"] = nil }

function request()
  headers_form["Authorization"] = auth
  headers_get["Authorization"] = auth
  local r = math.random(100)
  if r <= 55 then
    return wrk.format("GET", "/disks/" .. seeds[math.random(#seeds)], headers_get)
  elseif r <= 70 then
    return wrk.format("GET", "/vms/", headers_get)
  elseif r <= 90 or #created == 0 then
    n = n + 1
    return wrk.format("POST", "/disks/", headers_form, "size=1&tag=load-" .. tid .. "-" .. n)
  else
    local uuid = table.remove(created, math.random(#created))
    log:write("S ", uuid, "\n")
    return wrk.format("DELETE", "/disks/" .. uuid, headers_get)
  end
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 201 then
    local uuid = body:match('"uuid"%s*:%s*"([0-9a-f%-]+)"')
    local tag = body:match('"tag"%s*:%s*"([^"]*)"')
    if uuid then
      created[#created + 1] = uuid
      log:write("C ", uuid, " ", tag or "", "\n")
    else
      log:write("C? ", body:sub(1, 200):gsub("\n", " "), "\n")
    end
  elseif status == 200 and body:match('^%s*{%s*"uuid"%s*:%s*"[0-9a-f%-]+"%s*}%s*$') then
    log:write("D ", body:match('"uuid"%s*:%s*"([0-9a-f%-]+)"'), "\n")
  elseif status >= 300 then
    log:write("E ", status, " ", body:sub(1, 200):gsub("\n", " "), "\n")
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(out_dir .. "/summary", "w"))
  local all = {}
  for _, t in ipairs(threads) do
    local c = t:get("codes")
    for k, v in pairs(c) do
      all[k] = (all[k] or 0) + v
    end
  end
  for k, v in pairs(all) do
    f:write("status ", k, " ", v, "\n")
  end
  local e = summary.errors
  f:write(string.format("requests %d\nduration_us %d\nbytes %d\n", summary.requests, summary.duration, summary.bytes))
  f:write(string.format("errors_connect %d\nerrors_read %d\nerrors_write %d\nerrors_status %d\nerrors_timeout %d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  f:write(string.format("p50_us %d\np90_us %d\np99_us %d\nmax_us %d\nmean_us %.0f\n", latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  f:close()
end
