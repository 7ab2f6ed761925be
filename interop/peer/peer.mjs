#!/usr/bin/env node
// Tocsin interop peer: an independent ActivityPub server built on Fedify.
//
// It serves ONE actor (a Person, username "peer" by default) over plain HTTP
// on loopback, verifies HTTP Signatures on every inbound activity (Fedify's
// own verification, never skipped), accepts follows automatically, and
// exposes a small JSON control API under /control/ for tests.
//
// Usage: node peer.mjs [PORT [HOST]]
//   PORT  (or PEER_PORT / PORT env)  default 0 = pick a free port
//   HOST  (or PEER_HOST env)         default 127.0.0.1
// Env:   PEER_USERNAME (default "peer"), PEER_LOG (Fedify log level: debug,
//        info, warning [default], error), PEER_ED25519=0 (no Ed25519 key, so
//        no FEP-8b32 proofs), PEER_RETRY_MAX (outbound attempts, default 5).
// Prints "READY http://HOST:PORT" on stdout once listening; exits on SIGTERM.

import http from "node:http";
import { randomUUID } from "node:crypto";
import process from "node:process";
import { AsyncLocalStorage } from "node:async_hooks";

// ---------------------------------------------------------------------------
// Outgoing HTTP log: wrap fetch before Fedify runs so every request it makes
// (key/actor fetches, deliveries) is visible through /control/requests.
// It also refuses any destination outside loopback (127.0.0.0/8, ::1,
// localhost), so a remote document naming, e.g., an unknown JSON-LD @context
// URL fails fast instead of reaching for the Internet.
const outgoingLog = [];
const realFetch = globalThis.fetch;
const ALLOW_ANY_HOST = process.env.PEER_ALLOW_NONLOOPBACK === "1";
function isLoopback(url) {
  let h;
  try {
    h = new URL(url).hostname;
  } catch {
    return false;
  }
  return h === "localhost" || h === "[::1]" || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
globalThis.fetch = async function loggedFetch(input, init) {
  const isReq = input instanceof Request;
  const method = (isReq ? input.method : init?.method) ?? "GET";
  const url = isReq ? input.url : String(input);
  const hdrs = isReq ? input.headers : new Headers(init?.headers ?? {});
  const entry = {
    at: new Date().toISOString(),
    method,
    url,
    signature: hdrs.get("signature"),
    accept: hdrs.get("accept"),
    status: null,
    error: null,
  };
  outgoingLog.push(entry);
  if (outgoingLog.length > 2000) outgoingLog.splice(0, outgoingLog.length - 2000);
  if (!ALLOW_ANY_HOST && !isLoopback(url)) {
    entry.error = "refused: not a loopback address";
    throw new TypeError(`interop peer refuses non-loopback fetch: ${url}`);
  }
  try {
    const res = await realFetch(input, init);
    entry.status = res.status;
    return res;
  } catch (e) {
    entry.error = String(e?.cause ?? e);
    throw e;
  }
};

const {
  Accept,
  Activity,
  Create,
  createExponentialBackoffPolicy,
  createFederation,
  Delete,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  getDocumentLoader,
  InProcessMessageQueue,
  isActor,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} = await import("@fedify/fedify");
const { Temporal } = await import("@js-temporal/polyfill");
const { configure, getStreamSink, getTextFormatter } = await import(
  "@logtape/logtape"
);

// ---------------------------------------------------------------------------
// Configuration.
const argv = process.argv.slice(2);
const PORT = Number(argv[0] ?? process.env.PEER_PORT ?? process.env.PORT ?? 0);
const HOST = argv[1] ?? process.env.PEER_HOST ?? "127.0.0.1";
const USERNAME = process.env.PEER_USERNAME ?? "peer";
const LOG_LEVEL = process.env.PEER_LOG ?? "warning";
const WITH_ED25519 = process.env.PEER_ED25519 !== "0";
const RETRY_MAX = Number(process.env.PEER_RETRY_MAX ?? 5);
const SOFTWARE = "tocsin-interop-peer";
const VERSION = "0.1.0";

// Fedify logs go to stderr (stdout carries only the READY line).
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    stderr: getStreamSink(
      new WritableStream({
        write(chunk) {
          process.stderr.write(chunk);
        },
      }),
      { formatter: getTextFormatter() },
    ),
  },
  loggers: [
    { category: "fedify", sinks: ["stderr"], lowestLevel: LOG_LEVEL },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

// ---------------------------------------------------------------------------
// In-memory state.
const inbox = []; // accepted inbound activities, arrival order
const incomingLog = []; // every non-control HTTP request we served
const errors = []; // outbox delivery errors / inbox listener errors
const followers = new Map(); // actor IRI -> {id, inboxId, endpoints, followId}
const following = new Map(); // actor IRI -> {actor, followId, follow, state, inbox}
const notes = new Map(); // note IRI -> Note (our own, live)
const outbox = []; // activities we sent (newest last)
const remoteObjects = new Map(); // remote object IRI -> {id,type,content,deleted,...}

function pushLimited(arr, item, limit = 2000) {
  arr.push(item);
  if (arr.length > limit) arr.splice(0, arr.length - limit);
}

// Keys are generated once at start.  RSA (RSASSA-PKCS1-v1_5, 2048 bits) is
// the one used for HTTP Signatures (Fedify makes it 4096 bits); Ed25519 makes Fedify add FEP-8b32
// Object Integrity Proofs to outgoing activities.
const keyPairs = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")];
if (WITH_ED25519) keyPairs.push(await generateCryptoKeyPair("Ed25519"));

// ---------------------------------------------------------------------------
// HTTP server (created first so that PORT=0 gets a real port for `origin`).
let federation = null;
const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error("unhandled request error:", e);
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/json" });
    }
    res.end(JSON.stringify({ error: String(e) }));
  });
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(PORT, HOST, resolve);
});
const boundPort = server.address().port;
const HOSTPORT = HOST.includes(":") ? `[${HOST}]:${boundPort}` : `${HOST}:${boundPort}`;
const ORIGIN = `http://${HOSTPORT}`;

// ---------------------------------------------------------------------------
// Federation.
const retryPolicy = createExponentialBackoffPolicy({
  initialDelay: { milliseconds: 500 },
  maxDelay: { seconds: 5 },
  maxAttempts: RETRY_MAX,
});
const userAgent = { software: `${SOFTWARE}/${VERSION}` };
federation = createFederation({
  kv: new MemoryKvStore(),
  queue: new InProcessMessageQueue(),
  origin: ORIGIN,
  // Loopback/private addresses are refused by default; the test fleet lives
  // on 127.0.0.0/8 so allow them (this only relaxes the SSRF guard).
  allowPrivateAddress: true,
  // No remote-document cache (Fedify's default caches 5 minutes), so a
  // remote actor's updates (keys, inbox) are seen at once.
  documentLoaderFactory: (opts) =>
    getDocumentLoader({
      allowPrivateAddress: opts?.allowPrivateAddress ?? true,
      userAgent: opts?.userAgent ?? userAgent,
    }),
  userAgent,
  // Real verification of inbound HTTP Signatures: NEVER skip.
  skipSignatureVerification: false,
  outboxRetryPolicy: retryPolicy,
  inboxRetryPolicy: retryPolicy,
  onOutboxError: (error, activity) => {
    pushLimited(errors, {
      at: new Date().toISOString(),
      where: "outbox",
      activity: activity?.id?.href ?? null,
      type: activity?.constructor?.name ?? null,
      error: String(error?.message ?? error),
    });
  },
});

const actorUri = () => new URL(`${ORIGIN}/users/${USERNAME}`);
const newId = (kind) => new URL(`${ORIGIN}/users/${USERNAME}/${kind}/${randomUUID()}`);

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Tocsin interop peer",
      summary: "An independent ActivityPub peer (Fedify) used in tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      discoverable: true,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === USERNAME ? keyPairs : []
  );

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return {
      items: [...followers.values()].map((f) => ({
        id: f.id,
        inboxId: f.inboxId,
        endpoints: f.endpoints,
      })),
    };
  },
).setCounter((_ctx, identifier) =>
  identifier === USERNAME ? followers.size : null
);

federation.setFollowingDispatcher(
  "/users/{identifier}/following",
  (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return {
      items: [...following.values()]
        .filter((f) => f.state === "accepted")
        .map((f) => new URL(f.actor)),
    };
  },
);

federation.setOutboxDispatcher(
  "/users/{identifier}/outbox",
  (_ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    return { items: [...outbox].reverse() };
  },
).setCounter((_ctx, identifier) =>
  identifier === USERNAME ? outbox.length : null
);

federation.setObjectDispatcher(
  Note,
  "/users/{identifier}/notes/{id}",
  (ctx, values) => {
    if (values.identifier !== USERNAME) return null;
    return notes.get(ctx.getObjectUri(Note, values).href) ?? null;
  },
);

federation.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
  software: {
    name: SOFTWARE,
    version: { major: 0, minor: 1, patch: 0 },
  },
  protocols: ["activitypub"],
  openRegistrations: false,
  usage: { users: { total: 1 }, localPosts: notes.size, localComments: 0 },
}));

// ---------------------------------------------------------------------------
// Inbox.
function iri(v) {
  if (v == null) return null;
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return iri(v[0]);
  if (typeof v === "object") return v.id ?? v.href ?? null;
  return null;
}

function summarizeObject(o) {
  if (o == null) return null;
  if (typeof o === "string") return { id: o, type: null, content: null };
  return {
    id: o.id ?? null,
    type: o.type ?? null,
    content: o.content ?? (o.contentMap ? Object.values(o.contentMap)[0] : null),
    actor: iri(o.actor),
    object: iri(o.object),
    attributedTo: iri(o.attributedTo),
  };
}

async function record(ctx, activity) {
  // Inbox listeners that throw are retried by Fedify: record each id once.
  const seen = activity.id && inbox.find((e) => e.id === activity.id.href);
  if (seen) return seen;
  let json;
  try {
    json = await activity.toJsonLd({
      format: "compact",
      contextLoader: ctx.contextLoader,
    });
  } catch (e) {
    json = { id: activity.id?.href, error: String(e) };
  }
  const object = summarizeObject(json.object);
  const entry = {
    received_at: new Date().toISOString(),
    recipient: ctx.recipient ?? null, // null = shared inbox
    type: json.type ?? activity.constructor.name,
    id: json.id ?? activity.id?.href ?? null,
    actor: iri(json.actor) ?? activity.actorId?.href ?? null,
    object,
    to: json.to ?? null,
    cc: json.cc ?? null,
    json, // Fedify's view (parsed, then compacted again)
    raw: ctx.activity ?? null, // the JSON as received (InboxContext.activity)
  };
  pushLimited(inbox, entry);
  // Track remote objects' state for /control/objects.
  if (object?.id && ["Create", "Update"].includes(entry.type) && object.type) {
    remoteObjects.set(object.id, {
      ...object,
      deleted: false,
      last_activity: entry.type,
      by: entry.actor,
    });
  } else if (entry.type === "Delete" && object?.id) {
    const prev = remoteObjects.get(object.id) ?? { id: object.id };
    remoteObjects.set(object.id, {
      ...prev,
      deleted: true,
      last_activity: "Delete",
      by: entry.actor,
    });
  }
  return entry;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  // Fetches made while processing shared-inbox deliveries are signed too.
  .setSharedKeyDispatcher(() => ({ identifier: USERNAME }))
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.id == null || follow.actorId == null || follow.objectId == null) {
      return;
    }
    const target = ctx.parseUri(follow.objectId);
    if (target?.type !== "actor" || target.identifier !== USERNAME) return;
    const follower = await follow.getActor(ctx);
    if (follower == null || !isActor(follower) || follower.id == null) {
      throw new Error(`cannot resolve follower ${follow.actorId.href}`);
    }
    followers.set(follower.id.href, {
      id: follower.id,
      inboxId: follower.inboxId,
      endpoints: follower.endpoints,
      followId: follow.id.href,
    });
    await ctx.sendActivity(
      { identifier: USERNAME },
      follower,
      new Accept({
        id: newId("accepts"),
        actor: follow.objectId,
        object: follow,
        to: follower.id,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    const entry = await record(ctx, accept);
    settleFollow(accept, entry, "accepted");
  })
  .on(Reject, async (ctx, reject) => {
    const entry = await record(ctx, reject);
    settleFollow(reject, entry, "rejected");
  })
  .on(Undo, async (ctx, undo) => {
    const entry = await record(ctx, undo);
    const actor = undo.actorId?.href;
    const objId = entry.object?.id;
    let removed = false;
    for (const [k, f] of followers) {
      if (objId != null && f.followId === objId) {
        followers.delete(k);
        removed = true;
      }
    }
    // Embedded Follow (or one whose id we did not store): match the actor.
    if (!removed && actor != null && followers.has(actor) &&
        (entry.object?.type === "Follow" || entry.object?.type == null)) {
      let type = entry.object?.type;
      if (type == null) {
        try {
          const obj = await undo.getObject(ctx);
          type = obj instanceof Follow ? "Follow" : null;
        } catch { /* unresolvable: leave follower as is */ }
      }
      if (type === "Follow") followers.delete(actor);
    }
  })
  .on(Activity, async (ctx, activity) => {
    await record(ctx, activity);
  })
  .onError((_ctx, error) => {
    pushLimited(errors, {
      at: new Date().toISOString(),
      where: "inbox",
      error: String(error?.stack ?? error),
    });
  });

function settleFollow(activity, entry, state) {
  const objId = entry.object?.id;
  const actor = activity.actorId?.href ?? entry.actor;
  let f = [...following.values()].find((x) => objId != null && x.followId === objId);
  // Some servers answer with a Follow we cannot match by id; fall back to the
  // pending follow of the accepting actor.
  if (f == null && actor != null && following.get(actor)?.state === "pending") {
    f = following.get(actor);
  }
  if (f != null && (f.actor === actor || actor == null)) f.state = state;
}

// ---------------------------------------------------------------------------
// Control API.
const ctxFor = () => federation.createContext(new URL(ORIGIN), undefined);

async function authLoader(ctx) {
  return await ctx.getDocumentLoader({ identifier: USERNAME });
}

// WebFinger over http (Fedify's own lookup of acct: handles is https-only).
async function resolveHandle(handle) {
  const h = handle.trim().replace(/^acct:/, "").replace(/^@/, "");
  const at = h.lastIndexOf("@");
  if (at <= 0) throw new HttpError(400, `bad handle ${handle}`);
  const host = h.slice(at + 1);
  const url = new URL(`http://${host}/.well-known/webfinger`);
  url.searchParams.set("resource", `acct:${h}`);
  const res = await fetch(url, {
    headers: { Accept: "application/jrd+json, application/json" },
  });
  if (!res.ok) throw new HttpError(502, `WebFinger ${url}: HTTP ${res.status}`);
  const jrd = await res.json();
  const link = (jrd.links ?? []).find((l) =>
    l.rel === "self" && typeof l.href === "string" &&
    (l.type === "application/activity+json" ||
      /^application\/ld\+json/.test(l.type ?? ""))
  );
  if (link == null) throw new HttpError(502, `WebFinger ${url}: no self link`);
  return link.href;
}

async function lookupActor(ctx, actorIri) {
  const actor = await ctx.lookupObject(actorIri, {
    documentLoader: await authLoader(ctx),
  });
  if (actor == null || !isActor(actor) || actor.id == null) {
    throw new HttpError(502, `could not fetch actor ${actorIri}`);
  }
  return actor;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function send(ctx, recipients, activity, body) {
  // Always queued: Fedify 1.5.9 does not pass `immediate` on to the
  // delivery step, so failures only show up in /control/errors.
  await ctx.sendActivity({ identifier: USERNAME }, recipients, activity, {
    preferSharedInbox: body?.preferSharedInbox === true,
  });
  outbox.push(activity);
}

function audience(ctx) {
  return {
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri(USERNAME),
  };
}

const routes = {
  "GET /control/info": (ctx) => ({
    actor: actorUri().href,
    handle: `${USERNAME}@${HOSTPORT}`,
    origin: ORIGIN,
    inbox: ctx.getInboxUri(USERNAME).href,
    shared_inbox: ctx.getInboxUri().href,
    followers: ctx.getFollowersUri(USERNAME).href,
    library: "@fedify/fedify 1.5.9",
  }),
  "GET /control/inbox": () => inbox,
  "GET /control/followers": () => [...followers.keys()],
  "GET /control/following": (_ctx, _b, url) =>
    url.searchParams.get("all")
      ? [...following.values()].map(({ actor, followId, state }) => ({
        actor,
        follow_id: followId,
        state,
      }))
      : [...following.values()].filter((f) => f.state === "accepted").map((f) =>
        f.actor
      ),
  "GET /control/objects": () => [...remoteObjects.values()],
  "GET /control/errors": () => errors,
  "GET /control/requests": () => ({ incoming: incomingLog, outgoing: outgoingLog }),
  "POST /control/follow": async (ctx, body) => {
    let target = body.actor;
    if (target == null && body.handle) target = await resolveHandle(body.handle);
    if (target == null) throw new HttpError(400, "need actor or handle");
    const actor = await lookupActor(ctx, target);
    const follow = new Follow({
      id: newId("follows"),
      actor: actorUri(),
      object: actor.id,
      to: actor.id,
    });
    following.set(actor.id.href, {
      actor: actor.id.href,
      followId: follow.id.href,
      follow,
      state: "pending",
      recipient: actor,
    });
    await send(ctx, actor, follow, body);
    return { actor: actor.id.href, follow_id: follow.id.href };
  },
  "POST /control/unfollow": async (ctx, body) => {
    let target = body.actor;
    if (target == null && body.handle) target = await resolveHandle(body.handle);
    const f = following.get(target);
    if (f == null) throw new HttpError(404, `not following ${target}`);
    const undo = new Undo({
      id: newId("undos"),
      actor: actorUri(),
      object: f.follow,
      to: new URL(f.actor),
    });
    following.delete(target);
    await send(ctx, f.recipient, undo, body);
    return { actor: f.actor, undo_id: undo.id.href };
  },
  "POST /control/note": async (ctx, body) => {
    if (typeof body.content !== "string") {
      throw new HttpError(400, "need content");
    }
    const uuid = randomUUID();
    const id = ctx.getObjectUri(Note, { identifier: USERNAME, id: uuid });
    const note = new Note({
      id,
      attribution: actorUri(),
      content: body.content,
      url: id,
      published: Temporal.Now.instant(),
      ...audience(ctx),
    });
    notes.set(id.href, note);
    const create = new Create({
      id: new URL(`${id.href}/activity`),
      actor: actorUri(),
      object: note,
      published: note.published,
      ...audience(ctx),
    });
    await send(ctx, "followers", create, body);
    return { id: id.href, activity_id: create.id.href };
  },
  "POST /control/update": async (ctx, body) => {
    const note = notes.get(body.id);
    if (note == null) throw new HttpError(404, `no note ${body.id}`);
    if (typeof body.content !== "string") {
      throw new HttpError(400, "need content");
    }
    const updated = note.clone({
      content: body.content,
      updated: Temporal.Now.instant(),
    });
    notes.set(body.id, updated);
    const update = new Update({
      id: newId("updates"),
      actor: actorUri(),
      object: updated,
      ...audience(ctx),
    });
    await send(ctx, "followers", update, body);
    return { id: body.id, activity_id: update.id.href };
  },
  "POST /control/delete": async (ctx, body) => {
    const note = notes.get(body.id);
    if (note == null) throw new HttpError(404, `no note ${body.id}`);
    notes.delete(body.id);
    const del = new Delete({
      id: newId("deletes"),
      actor: actorUri(),
      object: new Tombstone({ id: new URL(body.id) }),
      ...audience(ctx),
    });
    await send(ctx, "followers", del, body);
    return { id: body.id, activity_id: del.id.href };
  },
};

async function control(request, url) {
  const route = routes[`${request.method} ${url.pathname.replace(/\/$/, "")}`];
  if (route == null) return json(404, { error: "no such control endpoint" });
  let body = {};
  if (request.method === "POST") {
    const text = await request.text();
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      return json(400, { error: "body is not JSON" });
    }
  }
  try {
    return json(200, await route(ctxFor(), body, url));
  } catch (e) {
    return json(e instanceof HttpError ? e.status : 502, {
      error: String(e?.message ?? e),
    });
  }
}

function json(status, value) {
  return new Response(JSON.stringify(value, null, 1), {
    status,
    headers: { "content-type": "application/json" },
  });
}

// ---------------------------------------------------------------------------
// node:http <-> fetch API adapter.
async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const url = new URL(req.url, `http://${req.headers.host ?? HOSTPORT}`);
  const request = new Request(url, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  let response;
  if (url.pathname.startsWith("/control/")) {
    response = await control(request, url);
  } else {
    response = await federation.fetch(request, { contextData: undefined });
    const entry = {
      at: new Date().toISOString(),
      method: req.method,
      path: url.pathname + url.search,
      status: response.status,
      signature: headers.get("signature"),
      content_type: headers.get("content-type"),
      accept: headers.get("accept"),
      digest: headers.get("digest"),
      date: headers.get("date"),
    };
    if (req.method === "POST") entry.body = body.toString("utf8").slice(0, 20000);
    if (response.status >= 400) {
      entry.response = (await response.clone().text()).slice(0, 500);
    }
    pushLimited(incomingLog, entry);
  }
  const out = {};
  for (const [k, v] of response.headers) out[k] = v;
  const buf = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, out);
  res.end(req.method === "HEAD" ? undefined : buf);
}

// ---------------------------------------------------------------------------
function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

process.stdout.write(`READY ${ORIGIN}\n`);
