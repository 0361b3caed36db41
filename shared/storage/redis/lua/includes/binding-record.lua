--[[
binding-record (included): the value of the `bindings` and `pending` hashes,
the binding's nonce followed by unix seconds in decimal (last-seen, or when
the seat was reserved), with no separator. The only place Lua knows the
layout; shared/storage/redis/binding-record.ts is the TypeScript side, and
NONCE_LENGTH here is checked against shared/security/binding-token.ts by
scripts.test.ts.
]]
local NONCE_LENGTH = 16

local function recordNonce(record)
  return string.sub(record, 1, NONCE_LENGTH)
end

local function recordSeconds(record)
  return tonumber(string.sub(record, NONCE_LENGTH + 1))
end

local function newRecord(nonce, seconds)
  return nonce .. seconds
end
