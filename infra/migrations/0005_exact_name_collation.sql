-- Account names and machine codes compare byte for byte, trailing spaces
-- included: under a PAD SPACE collation `acme ` logged in as `acme`, and
-- `X ` and `X` were one machine to MySQL but two to Redis.
ALTER TABLE accounts MODIFY name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL;
ALTER TABLE bindings MODIFY machine_code VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL;
