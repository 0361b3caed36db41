--[[
remember-gone: notes that MySQL confirmed a machine is not bound under a
nonce, so further heartbeats with that token are refused from Redis alone.
Nonces are never re-used, so the note cannot turn wrong. It is a field of the
account's state hash and goes with it (any staff change, unbinding or
reload); while the account is not loaded there is nothing to note it in.

KEYS[1] state     hash {status, expiresAt, revision, ...}; 'gone:'..machineCode
                  -> nonce
ARGV[1] machineCode   ARGV[2] nonce

Reply: 1 when noted, 0 when the account is not loaded.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'gone:' .. ARGV[1], ARGV[2])
return 1
