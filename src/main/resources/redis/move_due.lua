-- Moves retries that are due from the retry set into the delivery stream, atomically.
-- KEYS[1] retry sorted set, KEYS[2] delivery stream; ARGV[1] now (ms), ARGV[2] max entries to move.
-- Answers {entries moved, the earliest due time left in the set in ms or -1}, so the poller sleeps until then.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local sep = string.find(member, ':', 1, true)
  redis.call('XADD', KEYS[2], '*', 'd', string.sub(member, 1, sep - 1), 's', string.sub(member, sep + 1))
  redis.call('ZREM', KEYS[1], member)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {#due, first[2] or '-1'}
