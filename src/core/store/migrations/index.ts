// Numbered migrations, applied in order once each. Never edit a shipped one: add the next number.

export type Migration = {
  version: number;
  name: string;
  sql: string;
  /** Rebuilds a table others reference: foreign keys are off while it runs and checked before it commits. */
  rebuildsReferencedTable?: true;
};

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE agents (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL,
  provider    TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('deploying','running','stopped','failed','broken','destroying','destroyed')),
  url         TEXT,
  resources   TEXT NOT NULL DEFAULT '{}',
  owner       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  destroyed_at INTEGER
);
-- A name is taken while an agent of that name may still own resources.
CREATE UNIQUE INDEX agents_live_name ON agents(name) WHERE status NOT IN ('destroyed','failed');

CREATE TABLE jobs (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  agent_id      INTEGER NOT NULL REFERENCES agents(id),
  requester     TEXT NOT NULL,
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  thread_id     TEXT,
  message_id    TEXT,
  status        TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','rolled_back','cancelled','interrupted')),
  error         TEXT,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER
);
CREATE INDEX jobs_agent ON jobs(agent_id, status);

CREATE TABLE job_steps (
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  idx         INTEGER NOT NULL,
  key         TEXT NOT NULL,
  title       TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('waiting','running','done','failed','undoing','undone','undo_failed','skipped')),
  output      TEXT,
  error       TEXT,
  started_at  INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (job_id, idx)
);

CREATE TABLE principals (
  platform    TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  level       TEXT NOT NULL CHECK (level IN ('viewer','operator','admin')),
  source      TEXT NOT NULL CHECK (source IN ('config','chat','pairing')),
  granted_by  TEXT,
  granted_at  INTEGER NOT NULL,
  PRIMARY KEY (platform, user_id)
);

CREATE TABLE chats (
  platform    TEXT NOT NULL,
  chat_id     TEXT NOT NULL,
  allowed     INTEGER NOT NULL DEFAULT 0,
  source      TEXT,
  unreachable INTEGER NOT NULL DEFAULT 0,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (platform, chat_id)
);

CREATE TABLE audit (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  platform    TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  chat_id     TEXT NOT NULL,
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  detail      TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

CREATE TABLE prompts (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,
  payload       TEXT NOT NULL,
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  message_id    TEXT,
  requested_by  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  decided_at    INTEGER,
  decided_by    TEXT,
  decision      TEXT
);

CREATE TABLE prompt_buttons (
  id          TEXT PRIMARY KEY,
  prompt_id   TEXT NOT NULL REFERENCES prompts(id),
  choice      TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'bridge cursors',
    sql: `
CREATE TABLE cursors (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'jobs without an agent (image builds), locked by subject',
    sql: `
CREATE TABLE jobs_new (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  subject       TEXT NOT NULL,
  agent_id      INTEGER REFERENCES agents(id),
  requester     TEXT NOT NULL,
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  thread_id     TEXT,
  message_id    TEXT,
  status        TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','rolled_back','cancelled','interrupted')),
  error         TEXT,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER
);
INSERT INTO jobs_new (id, kind, subject, agent_id, requester, chat_platform, chat_id, thread_id, message_id, status, error, created_at, started_at, finished_at)
  SELECT j.id, j.kind, COALESCE(a.name, 'agent ' || j.agent_id), j.agent_id, j.requester, j.chat_platform, j.chat_id, j.thread_id,
         j.message_id, j.status, j.error, j.created_at, j.started_at, j.finished_at
  FROM jobs j LEFT JOIN agents a ON a.id = j.agent_id;
CREATE TABLE job_steps_new AS SELECT * FROM job_steps;
DROP TABLE job_steps;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_subject ON jobs(subject, status);
CREATE TABLE job_steps (
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  idx         INTEGER NOT NULL,
  key         TEXT NOT NULL,
  title       TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('waiting','running','done','failed','undoing','undone','undo_failed','skipped')),
  output      TEXT,
  error       TEXT,
  started_at  INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (job_id, idx)
);
INSERT INTO job_steps SELECT * FROM job_steps_new;
DROP TABLE job_steps_new;
`,
  },
  {
    version: 4,
    name: 'approval policies and pairing codes',
    sql: `
ALTER TABLE prompts ADD COLUMN policy TEXT NOT NULL DEFAULT 'self';
ALTER TABLE prompts ADD COLUMN approve_choice TEXT;
CREATE INDEX prompts_open ON prompts(expires_at) WHERE decided_at IS NULL;

CREATE TABLE pairing_codes (
  id          INTEGER PRIMARY KEY,
  salt        TEXT NOT NULL,
  hash        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_by     TEXT
);

CREATE TABLE pairing_failures (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  who         TEXT NOT NULL
);
`,
  },
  {
    version: 6,
    name: 'health checks, incidents and alert subscriptions',
    sql: `
CREATE TABLE agent_health (
  agent_id      INTEGER PRIMARY KEY REFERENCES agents(id),
  state         TEXT NOT NULL CHECK (state IN ('unknown','healthy','suspect','down','recovering')),
  failures      INTEGER NOT NULL DEFAULT 0,
  successes     INTEGER NOT NULL DEFAULT 0,
  last_check_at INTEGER,
  latency_ms    INTEGER,
  last_error    TEXT,
  downs         TEXT NOT NULL DEFAULT '[]',
  muted_until   INTEGER,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE incidents (
  id            INTEGER PRIMARY KEY,
  agent_id      INTEGER NOT NULL REFERENCES agents(id),
  opened_at     INTEGER NOT NULL,
  resolved_at   INTEGER,
  last_error    TEXT,
  flapping      INTEGER NOT NULL DEFAULT 0,
  acked_by      TEXT,
  acked_until   INTEGER
);
CREATE UNIQUE INDEX incidents_open ON incidents(agent_id) WHERE resolved_at IS NULL;

CREATE TABLE incident_messages (
  incident_id   INTEGER NOT NULL REFERENCES incidents(id),
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  prompt_id     TEXT NOT NULL,
  PRIMARY KEY (incident_id, chat_platform, chat_id)
);

CREATE TABLE subscriptions (
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  scope         TEXT NOT NULL CHECK (scope IN ('all','role','agent','owner')),
  value         TEXT NOT NULL DEFAULT '',
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (chat_platform, chat_id, scope, value)
);
`,
  },
  {
    version: 7,
    name: 'what each job was asked to do, so it can be taken up again after a restart',
    sql: `ALTER TABLE jobs ADD COLUMN params TEXT NOT NULL DEFAULT '{}';`,
  },
  {
    version: 8,
    name: 'agents can be lost: on record, but their machine is gone',
    rebuildsReferencedTable: true,
    sql: `
CREATE TABLE agents_new (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL,
  provider    TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('deploying','running','stopped','failed','broken','lost','destroying','destroyed')),
  url         TEXT,
  resources   TEXT NOT NULL DEFAULT '{}',
  owner       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  destroyed_at INTEGER
);
INSERT INTO agents_new SELECT id, name, role, provider, status, url, resources, owner, created_at, updated_at, destroyed_at FROM agents;
DROP TABLE agents;
ALTER TABLE agents_new RENAME TO agents;
CREATE UNIQUE INDEX agents_live_name ON agents(name) WHERE status NOT IN ('destroyed','failed');
`,
  },
  {
    version: 9,
    name: 'whether a finished job still has to show its end on its card',
    sql: `ALTER TABLE jobs ADD COLUMN card_behind INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 10,
    name: 'paused is a job status; every job stores what its kind builds it from',
    rebuildsReferencedTable: true,
    // Jobs paused for a restart were recorded as interrupted with this sentence as their error. Each
    // job's params gain what its kind now builds from: the agent's id, or an image build's role; a
    // deploy's server type option is now keyed by its flag's name (--type), as the provider reads it.
    sql: `
CREATE TABLE jobs_new (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  subject       TEXT NOT NULL,
  agent_id      INTEGER REFERENCES agents(id),
  requester     TEXT NOT NULL,
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  thread_id     TEXT,
  message_id    TEXT,
  status        TEXT NOT NULL CHECK (status IN ('queued','running','paused','succeeded','failed','rolled_back','cancelled','interrupted')),
  error         TEXT,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER,
  params        TEXT NOT NULL DEFAULT '{}',
  card_behind   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_new (id, kind, subject, agent_id, requester, chat_platform, chat_id, thread_id, message_id, status, error, created_at, started_at, finished_at, params, card_behind)
  SELECT id, kind, subject, agent_id, requester, chat_platform, chat_id, thread_id, message_id,
         CASE WHEN paused THEN 'paused' ELSE status END,
         CASE WHEN paused THEN NULL ELSE error END,
         created_at, started_at, finished_at,
         CASE WHEN agent_id IS NOT NULL THEN json_set(
                CASE WHEN json_extract(params, '$.options.serverType') IS NOT NULL
                     THEN json_remove(json_set(params, '$.options.type', json_extract(params, '$.options.serverType')), '$.options.serverType')
                     ELSE params END,
                '$.agentId', agent_id)
              WHEN kind = 'image' AND subject LIKE 'image %' THEN json_set(params, '$.role', substr(subject, 7))
              ELSE params END,
         card_behind
  FROM (SELECT *, status = 'interrupted' AND error = 'paused while fleetbot restarts; it carries on when fleetbot is back' AS paused FROM jobs);
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_subject ON jobs(subject, status);
`,
  },
  {
    version: 11,
    name: 'conversations with agents: their turns, the messages that answer them, /chat and /ask verbose',
    sql: `
CREATE TABLE conversations (
  id            INTEGER PRIMARY KEY,
  agent_id      INTEGER NOT NULL REFERENCES agents(id),
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  thread_id     TEXT,
  started_by    TEXT NOT NULL,
  session_id    TEXT,
  history       TEXT NOT NULL DEFAULT '[]',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
-- A reply to any message that answered a conversation continues it.
CREATE TABLE conversation_messages (
  chat_platform   TEXT NOT NULL,
  chat_id         TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  PRIMARY KEY (chat_platform, chat_id, message_id)
);
-- A prompt's words are not kept here (the audit keeps them only when configured to).
CREATE TABLE turns (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  requester       TEXT NOT NULL,
  prompt_chars    INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued','running','answered','cancelled','failed','interrupted')),
  message_id      TEXT,
  detail          TEXT,
  created_at      INTEGER NOT NULL,
  finished_at     INTEGER
);
CREATE INDEX turns_open ON turns(status) WHERE status IN ('queued','running');
-- /chat <agent> in a private chat: plain messages there go to that agent.
CREATE TABLE chat_modes (
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  agent_id      INTEGER NOT NULL REFERENCES agents(id),
  since         INTEGER NOT NULL,
  PRIMARY KEY (chat_platform, chat_id)
);
-- /ask verbose on|off, per chat.
CREATE TABLE ask_settings (
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  verbose       INTEGER NOT NULL,
  PRIMARY KEY (chat_platform, chat_id)
);
`,
  },
  {
    version: 12,
    name: 'API keys: hashed, scoped, revocable, with an optional expiry',
    sql: `
-- Only a key's hash is kept: the key itself is shown once and never stored.
CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  expires_at   INTEGER,
  revoked_at   INTEGER
);
-- A name is the principal api:<name>, so two keys that may still be used never share one.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys(name) WHERE revoked_at IS NULL;
`,
  },
  {
    version: 13,
    name: 'Idempotency keys: a program’s retried request answered with its first response',
    sql: `
-- One row per principal and key: what the request was (a hash of its command and arguments) and
-- what it answered (NULL while it runs), kept 24 hours.
CREATE TABLE idempotency_keys (
  principal    TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response     TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (principal, key)
);
`,
  },
  {
    version: 14,
    name: 'one approval card shown in several chats',
    sql: `
-- What a program asks for is shown to the chats that follow the agent and to admins: one prompt on
-- several messages, any of which decides it.
CREATE TABLE prompt_messages (
  prompt_id     TEXT NOT NULL REFERENCES prompts(id),
  chat_platform TEXT NOT NULL,
  chat_id       TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  PRIMARY KEY (prompt_id, chat_platform, chat_id)
);
`,
  },
];
