// Self-test of the interop peer without Tocsin: two peers on 127.0.0.1
// (different ports) follow each other and exchange a note with Update and
// Delete; every inbound activity passes Fedify's real HTTP Signature check.
// Run: npm test  (or: node --test selftest.mjs)
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
// Generous: JSON-LD processing is CPU-bound and CI machines may be loaded.
const DEADLINE_MS = Number(process.env.SELFTEST_DEADLINE_MS ?? 60_000);

function startPeer(name, host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "peer.mjs"), "0", host], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PEER_LOG: process.env.PEER_LOG ?? "warning" },
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`${name}: no READY within ${DEADLINE_MS} ms; stderr:\n${err}`));
    }, DEADLINE_MS);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^READY (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ name, child, url: m[1], stderr: () => err });
      }
    });
    child.stderr.on("data", (d) => {
      err += d;
      if (process.env.PEER_LOG) process.stderr.write(`[${name}] ${d}`);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before READY:\n${err}`));
    });
  });
}

async function ctl(peer, method, p, body) {
  const res = await fetch(peer.url + p, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${peer.name} ${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function waitFor(what, fn) {
  const end = Date.now() + DEADLINE_MS;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const inboxHas = (peer, pred) => async () =>
  (await ctl(peer, "GET", "/control/inbox")).find(pred);

describe("interop peer self-test (two Fedify peers over loopback)", () => {
  let a, b;
  before(async () => {
    // Two hosts of the loopback range, as in Tocsin's test fleet.
    [a, b] = await Promise.all([startPeer("A", "127.0.0.1"), startPeer("B", "127.0.0.2")]);
  });
  after(async () => {
    for (const p of [a, b]) {
      if (p == null) continue;
      const exited = new Promise((r) => p.child.once("exit", r));
      p.child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  });

  it("serves WebFinger and the actor", async () => {
    const host = new URL(a.url).host;
    const jrd = await (await fetch(`${a.url}/.well-known/webfinger?resource=acct:peer@${host}`)).json();
    const self = jrd.links.find((l) => l.rel === "self");
    assert.equal(self.href, `${a.url}/users/peer`);
    const actor = await (await fetch(self.href, { headers: { accept: "application/activity+json" } })).json();
    assert.equal(actor.type, "Person");
    assert.match(actor.publicKey.publicKeyPem, /BEGIN PUBLIC KEY/);
  });

  it("rejects an unsigned activity (signatures are really verified)", async () => {
    const res = await fetch(`${a.url}/users/peer/inbox`, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${b.url}/forged/1`,
        type: "Create",
        actor: `${b.url}/users/peer`,
        object: { id: `${b.url}/forged/note`, type: "Note", content: "forged" },
      }),
    });
    assert.equal(res.status, 401);
    const inbox = await ctl(a, "GET", "/control/inbox");
    assert.equal(inbox.length, 0);
  });

  it("rejects an activity signed with a key that is not the actor's", async () => {
    const { generateCryptoKeyPair, signRequest } = await import("@fedify/fedify");
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const req = new Request(`${a.url}/users/peer/inbox`, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${b.url}/forged/2`,
        type: "Create",
        actor: `${b.url}/users/peer`,
        object: { id: `${b.url}/forged/note2`, type: "Note", content: "forged" },
      }),
    });
    const signed = await signRequest(req, privateKey, new URL(`${b.url}/users/peer#main-key`));
    const res = await fetch(signed);
    assert.equal(res.status, 401);
    assert.equal((await ctl(a, "GET", "/control/inbox")).length, 0);
  });

  it("A follows B by handle (WebFinger over http), B accepts", async () => {
    const host = new URL(b.url).host;
    const r = await ctl(a, "POST", "/control/follow", { handle: `peer@${host}` });
    assert.equal(r.actor, `${b.url}/users/peer`);
    await waitFor("B sees A's Follow", inboxHas(b, (x) => x.type === "Follow" && x.id === r.follow_id));
    await waitFor("B lists A as follower", async () =>
      (await ctl(b, "GET", "/control/followers")).includes(`${a.url}/users/peer`));
    await waitFor("A's following accepted", async () =>
      (await ctl(a, "GET", "/control/following")).includes(`${b.url}/users/peer`));
    const acc = await waitFor("A got Accept", inboxHas(a, (x) => x.type === "Accept"));
    assert.equal(acc.object.id, r.follow_id);
  });

  it("B follows A by actor IRI", async () => {
    await ctl(b, "POST", "/control/follow", { actor: `${a.url}/users/peer` });
    await waitFor("B's following accepted", async () =>
      (await ctl(b, "GET", "/control/following")).includes(`${a.url}/users/peer`));
    assert.deepEqual(await ctl(a, "GET", "/control/followers"), [`${b.url}/users/peer`]);
  });

  it("A's note reaches B, then Update and Delete", async () => {
    const { id } = await ctl(a, "POST", "/control/note", { content: "<p>hello from A</p>" });
    const c = await waitFor("Create at B", inboxHas(b, (x) => x.type === "Create" && x.object?.id === id));
    assert.equal(c.object.type, "Note");
    assert.equal(c.object.content, "<p>hello from A</p>");
    assert.equal(c.actor, `${a.url}/users/peer`);
    // The note is also dereferenceable.
    const fetched = await (await fetch(id, { headers: { accept: "application/activity+json" } })).json();
    assert.equal(fetched.content, "<p>hello from A</p>");

    await ctl(a, "POST", "/control/update", { id, content: "<p>edited</p>" });
    const u = await waitFor("Update at B", inboxHas(b, (x) => x.type === "Update" && x.object?.id === id));
    assert.equal(u.object.content, "<p>edited</p>");

    await ctl(a, "POST", "/control/delete", { id });
    const d = await waitFor("Delete at B", inboxHas(b, (x) => x.type === "Delete" && x.object?.id === id));
    assert.equal(d.object.type, "Tombstone");
    const objs = await ctl(b, "GET", "/control/objects");
    assert.equal(objs.find((o) => o.id === id)?.deleted, true);
    assert.equal((await fetch(id, { headers: { accept: "application/activity+json" } })).status, 404);
  });

  it("B's note reaches A", async () => {
    const { id } = await ctl(b, "POST", "/control/note", { content: "hi from B" });
    const c = await waitFor("Create at A", inboxHas(a, (x) => x.type === "Create" && x.object?.id === id));
    assert.equal(c.object.content, "hi from B");
  });

  it("Undo(Follow) both ways", async () => {
    await ctl(b, "POST", "/control/unfollow", { actor: `${a.url}/users/peer` });
    await waitFor("Undo at A", inboxHas(a, (x) => x.type === "Undo" && x.object?.type === "Follow"));
    await waitFor("A has no followers", async () =>
      (await ctl(a, "GET", "/control/followers")).length === 0);
    await ctl(a, "POST", "/control/unfollow", { actor: `${b.url}/users/peer` });
    await waitFor("B has no followers", async () =>
      (await ctl(b, "GET", "/control/followers")).length === 0);
    assert.deepEqual(await ctl(a, "GET", "/control/following"), []);
  });

  it("all deliveries were signed and accepted, no errors", async () => {
    for (const p of [a, b]) {
      assert.deepEqual(await ctl(p, "GET", "/control/errors"), [], `${p.name} errors`);
      const { incoming } = await ctl(p, "GET", "/control/requests");
      const posts = incoming.filter((r) => r.method === "POST");
      assert.ok(posts.length >= 4, `${p.name} got ${posts.length} POSTs`);
      const genuine = posts.filter((r) => r.signature != null && !r.body?.includes("/forged/"));
      for (const r of genuine) {
        assert.ok(r.status < 300, `${p.name} ${r.path} -> ${r.status} ${r.response ?? ""}`);
      }
    }
  });
});
