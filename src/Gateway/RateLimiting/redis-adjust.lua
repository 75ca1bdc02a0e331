-- Corrects earlier charges once the real amounts are known (a refund is negative), in the bucket each was charged
-- to; a bucket that no longer counts is left alone, and no bucket goes below zero.
-- ARGV: 3 values per counter, in KEYS order: bucket, ms until that bucket stops counting, delta.
for i = 1, #KEYS do
  local key = KEYS[i]
  local base = (i - 1) * 3
  local bucket, ttl, delta = ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  if ttl > 0 then
    local exists = redis.call('EXISTS', key) == 1
    if exists or delta > 0 then
      local held = tonumber(redis.call('HGET', key, bucket) or '0')
      if held + delta < 0 then
        delta = -held
      end
      if delta ~= 0 then
        local text = string.format('%d', delta)
        redis.call('HINCRBY', key, bucket, text)
        redis.call('HINCRBY', key, 't', text)
        local first = tonumber(redis.call('HGET', key, 'f'))
        if not first or tonumber(bucket) < first then
          redis.call('HSET', key, 'f', bucket)
        end
        if not exists then
          redis.call('PEXPIRE', key, string.format('%d', ttl))
        end
      end
    end
  end
end
return 0
