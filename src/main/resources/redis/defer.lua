-- Puts entries back for later: adds them to the retry set and acknowledges them in the stream, atomically.
-- KEYS[1] delivery stream, KEYS[2] retry set; ARGV[1] group; then triples of (entry id, due ms, member).
for i = 2, #ARGV, 3 do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  redis.call('XDEL', KEYS[1], ARGV[i])
end
return (#ARGV - 1) / 3
