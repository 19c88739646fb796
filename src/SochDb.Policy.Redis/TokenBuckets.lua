-- Takes tokens from several token buckets at once, or from none.
-- KEYS[i]: bucket i. ARGV[2i-1]: its capacity (tokens a minute), ARGV[2i]: tokens wanted from it.
-- A bucket is stored as "tokens units stamp": whole tokens, units towards the next token (a token is 60000 units and
-- every millisecond adds `capacity` units, so no fraction is ever rounded away), and the server time in ms it was
-- brought up to. A missing key is a full bucket; a bucket expires when it would be full again.
-- Returns {refused, wait, now}: refused is 0 when every token was taken, else the 1-based index of the bucket that
-- frees up last, and wait the milliseconds until the whole request would pass (-1: never, it wants more than capacity).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local U = 60000
local n = #KEYS
local tokens, units, stamps = {}, {}, {}
local refused, longest = 0, 0
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local want = tonumber(ARGV[2 * i])
  local tk, un, st = cap, 0, now
  local stored = redis.call('GET', KEYS[i])
  if stored then
    local a, b, c = string.match(stored, '^(%d+) (%d+) (%d+)$')
    if not c then
      return redis.error_reply('SOCHDB bucket ' .. KEYS[i] .. ' holds an unexpected value')
    end
    tk, un, st = tonumber(a), tonumber(b), tonumber(c)
    -- Time never runs backwards for a bucket: if the server clock stepped back, it waits for its stamp.
    if now > st then
      local elapsed = now - st
      if elapsed >= U then
        tk, un = cap, 0
      else
        local total = un + elapsed * cap
        local gained = math.floor(total / U)
        tk, un = tk + gained, total - gained * U
        if tk >= cap then
          tk, un = cap, 0
        end
      end
      st = now
    end
  end
  tokens[i], units[i], stamps[i] = tk, un, st
  if tk < want then
    local wait = -1
    if want <= cap then
      wait = math.floor(((want - tk) * U - un + cap - 1) / cap) + (st - now)
    end
    if refused == 0 or longest ~= -1 and (wait == -1 or wait > longest) then
      refused, longest = i, wait
    end
  end
end
if refused > 0 then
  return {refused, longest, now}
end
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local tk = tokens[i] - tonumber(ARGV[2 * i])
  local un = units[i]
  local untilFull = math.floor(((cap - tk) * U - un + cap - 1) / cap) + (stamps[i] - now)
  redis.call('SET', KEYS[i], string.format('%d %d %d', tk, un, stamps[i]), 'PX', untilFull)
end
return {0, 0, now}
