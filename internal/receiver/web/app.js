// Renders the events the receiver holds as one timeline per cluster and
// keeps it current: the backlog from /api/events, then every new event
// from the /api/stream Server-Sent Events stream (or polling when the
// browser has no EventSource). Text is only ever set with textContent.
"use strict";

const phases = {
  created: "Provisioning", ready: "Ready", upgraded: "Ready", recovered: "Ready",
  degraded: "Degraded", failed: "Failed", deleting: "Deleting", deleted: "Deleted",
  outOfSync: "Out of sync", inSync: "Ready", paused: "Paused", resumed: "Ready",
  flapping: "Flapping", stable: "Ready",
};

const state = { last: 0, count: 0, timelines: new Map() };
const main = document.getElementById("timelines");

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function hhmmss(iso) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleTimeString([], { hour12: false });
}

function lifecycleOf(e) {
  if (e.lifecycle) return e.lifecycle;
  // Events of other producers: the CDEvents predicate.
  const parts = e.type.replace(/^dev\.cdevents\./, "").split(".");
  return parts.length > 1 ? parts[1] : e.type;
}

function timeline(e) {
  let t = state.timelines.get(e.timeline);
  if (t) return t;
  const cp = e.crossplane || {};
  const section = el("section", "timeline");
  section.dataset.timeline = e.timeline;
  section.dataset.cluster = cp.name ? (cp.namespace ? cp.namespace + "/" + cp.name : cp.name) : e.timeline;
  const head = el("div", "head");
  head.append(el("span", "name", section.dataset.cluster));
  if (cp.provider) head.append(el("span", "provider", cp.provider));
  if (cp.kind) head.append(el("span", "tag", (cp.apiVersion || "") + " " + cp.kind));
  const region = el("span", "tag region", cp.region || "");
  const version = el("span", "tag version", "");
  const phase = el("span", "phase", "");
  head.append(region, version, phase);
  const steps = el("ol", "steps");
  section.append(head, el("div", "subject", e.timeline), steps);
  document.getElementById("empty").hidden = true;
  main.append(section);
  t = { section, steps, phase, version, region };
  state.timelines.set(e.timeline, t);
  document.getElementById("count-timelines").textContent = state.timelines.size;
  return t;
}

function add(e, fresh) {
  if (e.seq <= state.last) return;
  state.last = e.seq;
  state.count++;
  const t = timeline(e);
  const cp = e.crossplane || {};
  const lc = lifecycleOf(e);
  const li = el("li", "step lc-" + lc + (cp.replayed ? " replayed" : "") + (fresh ? " fresh" : ""));
  li.dataset.lifecycle = lc;
  li.dataset.type = e.type;
  li.dataset.seq = e.seq;
  li.append(el("div", "lc", lc), el("div", "time", hhmmss(e.timestamp)));
  if (cp.kubernetesVersion) {
    li.append(el("div", "ver", (cp.previousVersion ? cp.previousVersion + " → " : "") + cp.kubernetesVersion));
  }
  li.title = [
    e.type, "id " + e.id, "at " + e.timestamp, "received " + e.receivedAt + " (" + e.encoding + ")",
    cp.reason ? "reason " + cp.reason : "", cp.message ? cp.message : "", cp.replayed ? "replayed" : "",
  ].filter(Boolean).join("\n");
  t.steps.append(li);
  if (e.crossplane) {
    t.phase.textContent = phases[lc] || "";
    t.phase.className = "phase lc-" + lc;
    if (cp.kubernetesVersion) t.version.textContent = "Kubernetes " + cp.kubernetesVersion;
    if (cp.region) t.region.textContent = cp.region;
  }
  document.getElementById("count-events").textContent = state.count;
  document.body.dataset.lastSeq = state.last;
}

function setStatus(s) {
  const st = document.getElementById("status");
  st.dataset.state = s;
  st.textContent = s;
}

async function load() {
  const r = await fetch("/api/events?since=" + state.last, { cache: "no-store" });
  if (!r.ok) throw new Error("GET /api/events: " + r.status);
  const body = await r.json();
  for (const e of body.events) add(e, false);
}

function poll() {
  setStatus("polling");
  const tick = () => load().then(() => setStatus("polling"), () => setStatus("reconnecting"))
    .finally(() => setTimeout(tick, 2000));
  setTimeout(tick, 2000);
}

function live() {
  if (!window.EventSource) return poll();
  const es = new EventSource("/api/stream?since=" + state.last);
  es.onopen = () => setStatus("live");
  es.onerror = () => setStatus("reconnecting");
  es.addEventListener("cdevent", (m) => add(JSON.parse(m.data), true));
}

const sink = location.origin + "/";
document.getElementById("sink-url").textContent = sink;
for (const c of document.querySelectorAll(".sink-url")) c.textContent = sink;
load().catch(() => setStatus("reconnecting")).finally(live);
