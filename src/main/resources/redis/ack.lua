-- Acknowledges finished stream entries and deletes them, so the stream's length is the real backlog.
-- KEYS[1] delivery stream; ARGV[1] group; ARGV[2..] entry ids.
local n = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
return n
