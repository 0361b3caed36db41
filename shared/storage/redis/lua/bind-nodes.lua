--[[
bind-nodes: the seat check of one registration and, when every new machine
fits, the reservation of their seats, all or nothing, in one step.

New machines are reserved in `pending`, not written to `bindings`: they move
there once MySQL has committed them (commit-bindings.lua) or are removed when
it did not (undo-bind-nodes.lua). A reservation whose request died before
either counts only until it is `pendingTtl` seconds old, so no failure, not
even one whose undo also failed, can hold a seat for good.

KEYS[1] state     hash {status, expiresAt, revision}; exists only while the
                  account's bindings are loaded from MySQL
KEYS[2] bindings  hash machineCode -> record: nonce, lastSeen (unix seconds)
KEYS[3] pending   hash machineCode -> record: nonce, since (unix seconds)
                  (records as packed by includes/binding-record.lua)
ARGV[1] maxRegistrations (integer)
ARGV[2] '1' to reserve when every new machine fits; '0' only to count (the
        request already fails on a range cause)
ARGV[3] now (unix seconds)
ARGV[4] pendingTtl (seconds)
ARGV[5], ARGV[6], ... machineCode, nonce: one pair per node in request order;
        the nonce is used only for machines neither bound nor reserved

Replies
  {'NOT_LOADED'}                      state is missing: load from MySQL first
  {'OVER', seats}                     the new machines do not all fit; nothing
                                      written (the caller has the ledger confirm
                                      it: live reservations may be orphans)
  {'FITS', seats}                     ARGV[2] was '0' and all would fit; nothing written
  {'BOUND', seats, n1, n2, ...}       reserved; n_i is the nonce of request
                                      position i (kept for machines already
                                      bound or reserved)
where seats counts bound machines and live reservations before this call.
]]
--@include binding-record

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NOT_LOADED'}
end

local now = tonumber(ARGV[3])
local oldest = now - tonumber(ARGV[4])
local reserved = {}
local seats = redis.call('HLEN', KEYS[2])
local flat = redis.call('HGETALL', KEYS[3])
for i = 1, #flat, 2 do
  if recordSeconds(flat[i + 1]) < oldest then
    redis.call('HDEL', KEYS[3], flat[i])
  elseif redis.call('HEXISTS', KEYS[2], flat[i]) == 0 then
    reserved[flat[i]] = recordNonce(flat[i + 1])
    seats = seats + 1
  end
end

local codes = {}
for i = 5, #ARGV, 2 do
  codes[#codes + 1] = ARGV[i]
end
local current = redis.call('HMGET', KEYS[2], unpack(codes))
local nonces = {}
local fresh = {}
for i = 1, #codes do
  if current[i] then
    nonces[i] = recordNonce(current[i])
  elseif reserved[codes[i]] then
    nonces[i] = reserved[codes[i]]
  else
    nonces[i] = ARGV[4 + 2 * i]
    fresh[#fresh + 1] = i
  end
end

-- Staff may have lowered the limit below what is bound: no seat is free then.
local free = math.max(tonumber(ARGV[1]) - seats, 0)
if #fresh > free then
  return {'OVER', seats}
end

if ARGV[2] ~= '1' then
  return {'FITS', seats}
end

if #fresh > 0 then
  local writes = {}
  for _, i in ipairs(fresh) do
    writes[#writes + 1] = codes[i]
    writes[#writes + 1] = newRecord(nonces[i], ARGV[3])
  end
  redis.call('HSET', KEYS[3], unpack(writes))
end
local reply = {'BOUND', seats}
for i = 1, #codes do
  reply[#reply + 1] = nonces[i]
end
return reply
