-- Checks every counter of one request and, when all have room, charges them all: one atomic call per request.
-- A counter is a hash: 't' holds the live total, 'f' the oldest bucket that may still hold counts, 'l' the bucket
-- last charged (the key's expiry moves only when that changes), and each bucket number its counts: one HMGET and
-- one HSET per counter in the common case. Computed numbers go to Redis through string.format('%d'): Lua would
-- print large ones as 1e+14, which HINCRBY (in the settlement script) refuses.
-- ARGV[1]: 'w' to charge, 'r' to only read. Then 6 values per counter, in KEYS order:
--   current bucket, span (older buckets that still count), ms to the current bucket's end, bucket ms, limit, amount.
-- Returns: denied counter (1-based; 0 = granted), ms until it has room (-1 = never), then per counter: remaining, reset ms.
local write = ARGV[1] == 'w'
local n = #KEYS
local fmt, tonumber, call = string.format, tonumber, redis.call
local bucket_text, bucket, span, to_end, bucket_ms, limit, amount = {}, {}, {}, {}, {}, {}, {}
local total, first_text, last_text, held = {}, {}, {}, {}
local denied, retry = 0, 0

for i = 1, n do
  local key, at = KEYS[i], 1 + (i - 1) * 6
  local b_text = ARGV[at + 1]
  local b, s = tonumber(b_text), tonumber(ARGV[at + 2])
  bucket_text[i], bucket[i], span[i] = b_text, b, s
  to_end[i], bucket_ms[i] = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  limit[i], amount[i] = tonumber(ARGV[at + 5]), tonumber(ARGV[at + 6])
  local state = call('HMGET', key, 'f', 't', 'l', b_text)
  local first, t = tonumber(state[1]), tonumber(state[2]) or 0
  first_text[i], last_text[i], held[i] = state[1] or b_text, state[3], tonumber(state[4]) or 0
  local oldest = b - s
  if first and first < oldest then
    -- Drop the buckets that slid out. A key lives only while its newest bucket counts, so few lie between;
    -- the bound is a safety net.
    local fields = {}
    for old = first, math.min(oldest - 1, first + 2 * s + 2) do
      fields[#fields + 1] = fmt('%d', old)
    end
    local values = call('HMGET', key, unpack(fields))
    local present = {}
    for j = 1, #fields do
      if values[j] then
        t = t - tonumber(values[j])
        present[#present + 1] = fields[j]
      end
    end
    first = oldest
    first_text[i] = fmt('%d', oldest)
    if write then
      if #present > 0 then
        call('HDEL', key, unpack(present))
      end
      call('HSET', key, 't', fmt('%d', t), 'f', first_text[i])
    end
  end
  total[i] = t

  if denied == 0 and amount[i] > 0 and t + amount[i] > limit[i] then
    denied = i
    if amount[i] > limit[i] then
      retry = -1
    else
      -- Room comes back as the oldest buckets expire: find the one whose expiry frees enough.
      local excess = t + amount[i] - limit[i]
      retry = to_end[i] + s * bucket_ms[i]
      local from = math.max(first or b, oldest)
      local fields = {}
      for old = from, b do
        fields[#fields + 1] = fmt('%d', old)
      end
      local values = call('HMGET', key, unpack(fields))
      for j = 1, #fields do
        if values[j] then
          excess = excess - tonumber(values[j])
          if excess <= 0 then
            retry = to_end[i] + (from + j - 1 + s - b) * bucket_ms[i]
            break
          end
        end
      end
    end
  end
end

local out = { denied, retry }
for i = 1, n do
  local t = total[i]
  if denied == 0 and write and amount[i] > 0 then
    local key = KEYS[i]
    t = t + amount[i]
    -- The current bucket and the bookkeeping in one write.
    call('HSET', key, bucket_text[i], fmt('%d', held[i] + amount[i]), 't', fmt('%d', t), 'f', first_text[i], 'l', bucket_text[i])
    if last_text[i] ~= bucket_text[i] then
      call('PEXPIRE', key, fmt('%d', to_end[i] + span[i] * bucket_ms[i]))
    end
  end
  out[#out + 1] = math.max(0, limit[i] - t)
  if t > 0 then
    out[#out + 1] = to_end[i] + span[i] * bucket_ms[i]
  else
    out[#out + 1] = 0
  end
end
return out
