--[[
remember-gone: notes that MySQL confirmed a machine is not bound under a
nonce, so further heartbeats with that token are refused from Redis alone.
Nonces are never re-used, so the note cannot turn wrong; it lives `ttl`
seconds after the last one noted and goes with the account's loaded state.

KEYS[1] gone      hash machineCode -> nonce
ARGV[1] machineCode   ARGV[2] nonce   ARGV[3] ttl (seconds)

Reply: 1.
]]
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
