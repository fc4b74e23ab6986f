// kposim serve: the what-if page. Every change re-runs the scenario on the server (same seed:
// common random numbers) and redraws the figures and charts from the numbers it sends. The
// newest request wins: a response to an older one is dropped here, and the server stops or
// discards runs that a newer request has superseded.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const page = {
  state: null,       // GET /api/state
  edits: new Map(),  // "target|op" -> {target, op, value}
  seq: 0,            // number of the newest request sent
  drawn: 0,          // number of the request whose results are on the page
  inflight: 0,
  again: false,      // a slider moved while a request was in flight
};
window.kposim = page;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", INR: "₹", JPY: "¥" };

function money(x, currency) {
  const sign = x < 0 ? "-" : "";
  const prefix = SYMBOLS[currency] || currency + " ";
  const m = Math.abs(x);
  const scales = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
  for (const [s, suffix] of scales) {
    if (m >= s) {
      const v = m / s;
      return sign + prefix + (v < 100 ? +v.toFixed(1) : Math.round(v)) + suffix;
    }
  }
  return sign + prefix + Math.round(m);
}

// --- edits ----------------------------------------------------------------------------------

function setEdit(target, op, value, neutral) {
  const key = target + "|" + op;
  if (value === neutral) page.edits.delete(key);
  else page.edits.set(key, { target, op, value });
}

function editList() {
  return [...page.edits.values()];
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  return response.json();
}

async function rerun(changed) {
  const seq = ++page.seq;
  page.inflight += 1;
  let data;
  try {
    data = await post("/api/run", { seq, edits: editList(), changed });
  } catch (err) {
    data = { seq, status: "error", error: String(err) };
  } finally {
    page.inflight -= 1;
  }
  if (page.again && page.inflight === 0) {
    page.again = false;
    rerun(changed);
  }
  if (data.seq !== page.seq || data.status === "superseded") return;  // a newer one is coming
  clearProblems();
  if (data.status === "ok") {
    draw(data);
    document.getElementById("stale").hidden = true;
  } else if (data.status === "invalid") {
    page.last = data;
    showProblems(data.problems, changed);
    document.getElementById("stale").hidden = false;
  } else {
    showProblems([{ target: null, message: data.error || "the request failed" }], changed);
  }
  page.drawn = seq;
  keepInAddress();
  // Redrawn: tell whoever waits (tests, the latency benchmark) at the next frame.
  requestAnimationFrame(() => {
    document.body.dataset.drawn = String(seq);
    document.dispatchEvent(new CustomEvent("kposim:drawn", { detail: { seq, status: data.status } }));
  });
}

function liveRerun(changed) {
  // While a slider moves: one request at a time, and one more when it returns.
  if (page.inflight) page.again = true;
  else rerun(changed);
}

// --- the what-if in the page's address: reload or bookmark it -------------------------------

function keepInAddress() {
  const list = editList();
  const hash = list.length ? "#edits=" + encodeURIComponent(JSON.stringify(list)) : "";
  if (location.hash !== hash) history.replaceState(null, "", location.pathname + hash);
}

function restoreFromAddress() {
  const m = location.hash.match(/^#edits=(.*)$/);
  if (!m) return false;
  let list;
  try {
    list = JSON.parse(decodeURIComponent(m[1]));
  } catch (err) {
    return false;
  }
  if (!Array.isArray(list)) return false;
  for (const e of list) {
    if (!e || typeof e.target !== "string" || typeof e.op !== "string") continue;
    page.edits.set(e.target + "|" + e.op, { target: e.target, op: e.op, value: e.value });
    const sel = (attr) => document.querySelector(`input[${attr}="${CSS.escape(e.target)}"]`);
    if (e.op === "scale" || e.op === "shift") {
      const range = sel("data-slider");
      if (range) {
        range.value = e.value;
        range.nextElementSibling.textContent = sliderText(e.op, Number(e.value));
      }
    } else if (e.op === "set") {
      const box = sel("data-param");
      if (box) box.value = e.value;
    } else if (e.op === "enabled") {
      const box = sel("data-control");
      if (box) box.checked = Boolean(e.value);
    }
  }
  return page.edits.size > 0;
}

// --- problems beside their fields -------------------------------------------------------------

function clearProblems() {
  for (const p of document.querySelectorAll(".problem[data-for]")) { p.textContent = ""; p.hidden = true; }
  for (const r of document.querySelectorAll(".row.invalid")) r.classList.remove("invalid");
  const general = document.getElementById("general-problems");
  general.textContent = ""; general.hidden = true;
}

function problemBox(target) {
  for (const p of document.querySelectorAll(".problem[data-for]")) {
    if (p.dataset.for === target) return p;
  }
  return null;
}

function showProblems(problems, changed) {
  for (const p of problems) {
    const box = problemBox(p.target) || problemBox(changed) || document.getElementById("general-problems");
    box.textContent = box.textContent ? box.textContent + "\n" + p.message : p.message;
    box.hidden = false;
    const row = box.closest(".row");
    if (row) row.classList.add("invalid");
  }
}

// --- the controls ----------------------------------------------------------------------------

function sliderText(kind, v) {
  const sign = v > 0 ? "+" : "";
  return kind === "shift" ? `${sign}${v.toFixed(1)} points` : `${sign}${Math.round(v)}%`;
}

function inputRow(spec) {
  const row = el("div", { class: "row", "data-target": spec.target });
  row.append(el("div", { class: "label" }, spec.label));
  const words = el("div", { class: "words", "data-words": spec.target }, spec.words);
  row.append(words);
  if (spec.slider) {
    const line = el("div", { class: "slider" });
    const range = el("input", {
      type: "range", min: spec.min, max: spec.max, step: spec.step, value: 0,
      "aria-label": `${spec.label}: ${spec.slider === "shift" ? "shift in points" : "change in %"}`,
      "data-slider": spec.target, "data-kind": spec.slider,
    });
    const out = el("output", {}, sliderText(spec.slider, 0));
    const update = () => {
      const v = Number(range.value);
      out.textContent = sliderText(spec.slider, v);
      setEdit(spec.target, spec.slider, v, 0);
    };
    range.addEventListener("input", () => { update(); liveRerun(spec.target); });
    range.addEventListener("change", () => { update(); rerun(spec.target); });
    line.append(range, out);
    row.append(line);
  } else if (spec.reason) {
    row.append(el("div", { class: "reason" }, `No slider: ${spec.reason}.`));
  }
  if (spec.params.length) {
    const details = el("details", { class: "params" });
    details.append(el("summary", {}, "parameters"));
    for (const p of spec.params) {
      const label = el("label", {}, p.key + " ");
      const box = el("input", { type: "number", step: "any", value: p.value, "data-param": p.target,
                                "aria-label": `${spec.label}: ${p.key}` });
      box.addEventListener("change", () => {
        const v = box.value.trim() === "" ? p.value : Number(box.value);
        setEdit(p.target, "set", v, p.value);
        rerun(p.target);
      });
      label.append(box);
      details.append(label);
      details.append(el("div", { class: "problem", "data-for": p.target, hidden: "" }));
    }
    row.append(details);
  }
  row.append(el("div", { class: "problem", "data-for": spec.target, hidden: "" }));
  return row;
}

function buildControls(state) {
  const horizon = document.getElementById("horizon-row");
  horizon.append(el("div", { class: "label" }, "Horizon (years)"));
  const h = state.horizon;
  const hbox = el("input", { type: "number", min: h.min, max: h.max, step: 1, value: h.value,
                             "data-param": h.target, "aria-label": "Horizon in years" });
  hbox.addEventListener("change", () => {
    const v = hbox.value.trim() === "" ? h.value : Number(hbox.value);
    setEdit(h.target, "set", v, h.value);
    rerun(h.target);
  });
  horizon.append(hbox, el("div", { class: "problem", "data-for": h.target, hidden: "" }));

  const controls = document.getElementById("controls-box");
  if (state.controls.length) {
    const group = el("div", { class: "group" });
    group.append(el("h3", {}, "Controls (mitigations)"));
    for (const c of state.controls) {
      const row = el("div", { class: "row" });
      const label = el("label", {});
      const box = el("input", { type: "checkbox", "data-control": c.target });
      box.checked = true;
      box.addEventListener("change", () => {
        setEdit(c.target, "enabled", box.checked, true);
        rerun(c.target);
      });
      label.append(box, document.createTextNode(" " + c.label + " (on)"));
      row.append(label, el("div", { class: "problem", "data-for": c.target, hidden: "" }));
      group.append(row);
    }
    controls.append(group);
  }

  const groups = document.getElementById("groups");
  const byGroup = new Map();
  for (const spec of state.inputs) {
    if (!byGroup.has(spec.group)) byGroup.set(spec.group, []);
    byGroup.get(spec.group).push(spec);
  }
  for (const [name, specs] of byGroup) {
    const group = el("div", { class: "group" });
    group.append(el("h3", {}, name));
    for (const spec of specs) group.append(inputRow(spec));
    groups.append(group);
  }
}

function resetAll() {
  page.edits.clear();
  for (const r of document.querySelectorAll("input[data-slider]")) {
    r.value = 0;
    r.nextElementSibling.textContent = sliderText(r.dataset.kind, 0);
  }
  for (const b of document.querySelectorAll("input[data-control]")) b.checked = true;
  for (const spec of page.state.inputs) {
    for (const p of spec.params) {
      const box = document.querySelector(`input[data-param="${CSS.escape(p.target)}"]`);
      if (box) box.value = p.value;
    }
  }
  const h = document.querySelector(`input[data-param="scenario.horizon_years"]`);
  if (h) h.value = page.state.horizon.value;
  page.edits.clear();
  rerun(null);
}

// --- drawing ---------------------------------------------------------------------------------

function draw(data) {
  page.last = data;
  document.getElementById("sentence").textContent = data.sentence;
  const info = document.getElementById("run-info");
  info.textContent = `${data.trials.toLocaleString("en-US")} trials, seed ${data.seed}, ` +
    `${data.horizon_years} years; every change re-runs on the same seed (common random numbers).`;
  const body = document.querySelector("#figures tbody");
  body.replaceChildren();
  for (const f of data.figures) {
    const tr = el("tr", { "data-key": f.key, title: f.meaning });
    tr.append(el("td", {}, f.label), el("td", { class: "value" }, f.value), el("td", {}, f.error));
    const vs = el("td", { class: "vs" }, f.vs || "");
    if (f.diff && f.diff.diff !== 0) {
      const better = f.key === "prob_loss" || f.key === "exit_share" ? f.diff.diff < 0 : f.diff.diff > 0;
      vs.classList.add(better ? "up" : "down");
    }
    tr.append(vs);
    body.append(tr);
  }
  for (const [target, words] of Object.entries(data.words || {})) {
    const node = document.querySelector(`[data-words="${CSS.escape(target)}"]`);
    if (node) { node.textContent = words; node.classList.add("changed"); }
  }
  for (const spec of page.state.inputs) {
    if (!(data.words || {})[spec.target] && !hasEdit(spec.target)) {
      const node = document.querySelector(`[data-words="${CSS.escape(spec.target)}"]`);
      if (node) { node.textContent = spec.words; node.classList.remove("changed"); }
    }
  }
  drawSCurve(data.scurve, data.currency);
  drawWaterfall(data.waterfall, data.currency);
}

function hasEdit(target) {
  for (const e of page.edits.values()) if (e.target === target || e.target.startsWith(target + ".")) return true;
  return false;
}

function niceTicks(lo, hi, count) {
  const span = hi - lo || Math.abs(hi) || 1;
  const step0 = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

function drawSCurve(curve, currency) {
  const svg = document.getElementById("scurve");
  svg.replaceChildren();
  const W = 640, H = 280, L = 46, R = 14, T = 10, B = 34;
  // The central 98% of both runs: a long tail of rare disasters would flatten the curve.
  const all = curve.values.slice(3, -3).concat(curve.base.slice(3, -3));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.03;
  lo -= pad; hi += pad;
  const x = (v) => L + (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo) * (W - L - R);
  const y = (p) => T + (1 - p) * (H - T - B);
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: y(p), y2: y(p) }));
    svg.append(svgEl("text", { x: L - 4, y: y(p) + 3, "text-anchor": "end" }, `${p * 100}%`));
  }
  for (const t of niceTicks(lo, hi, 5)) {
    svg.append(svgEl("line", { class: "axis", x1: x(t), x2: x(t), y1: H - B, y2: H - B + 4 }));
    svg.append(svgEl("text", { x: x(t), y: H - B + 15, "text-anchor": "middle" }, money(t, currency)));
  }
  if (lo < 0 && hi > 0) svg.append(svgEl("line", { class: "zero", x1: x(0), x2: x(0), y1: T, y2: H - B }));
  svg.append(svgEl("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  svg.append(svgEl("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" },
                   `Net savings, present value (${currency})`));
  const path = (values) => values.map((v, i) => `${i ? "L" : "M"}${x(v).toFixed(1)},${y(1 - curve.levels[i]).toFixed(1)}`).join("");
  svg.append(svgEl("path", { class: "base", d: path(curve.base) }));
  svg.append(svgEl("path", { class: "now", d: path(curve.values), "data-series": "now" }));
}

function drawWaterfall(steps, currency) {
  const svg = document.getElementById("waterfall");
  svg.replaceChildren();
  const W = 640, H = 300, L = 70, R = 8, T = 16, B = 72;
  const ends = steps.flatMap((s) => [s.bottom, s.bottom + s.height]).concat([0]);
  let lo = Math.min(...ends), hi = Math.max(...ends);
  if (!(hi > lo)) hi = lo + 1;
  const pad = (hi - lo) * 0.06;
  lo = lo < 0 ? lo - pad : lo; hi += pad;
  const y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
  for (const t of niceTicks(lo, hi, 5)) {
    svg.append(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: y(t), y2: y(t) }));
    svg.append(svgEl("text", { x: L - 4, y: y(t) + 3, "text-anchor": "end" }, money(t, currency)));
  }
  svg.append(svgEl("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  const slot = (W - L - R) / steps.length;
  steps.forEach((s, i) => {
    const top = Math.max(s.bottom, s.bottom + s.height), bottom = Math.min(s.bottom, s.bottom + s.height);
    const cx = L + slot * (i + 0.5);
    svg.append(svgEl("rect", { class: s.kind, x: cx - slot * 0.32, width: slot * 0.64, y: y(top),
                               height: Math.max(y(bottom) - y(top), 0.5), "data-step": s.key }));
    svg.append(svgEl("text", { x: cx, y: y(top) - 3, "text-anchor": "middle" }, s.text));
    const lx = cx, ly = H - B + 10;
    svg.append(svgEl("text", { x: lx, y: ly, "text-anchor": "end",
                               transform: `rotate(-35 ${lx} ${ly})` }, s.label));
  });
}

// --- saving and reports ------------------------------------------------------------------------

async function write(kind) {
  const status = document.getElementById("write-status");
  status.textContent = kind === "save" ? "saving…" : "running and writing the report…";
  const body = { edits: editList(), name: document.getElementById("name").value.trim(),
                 replace: document.getElementById("replace").checked };
  let data;
  try {
    data = await post(kind === "save" ? "/api/save" : "/api/report", body);
  } catch (err) {
    data = { status: "error", error: String(err) };
  }
  if (data.status === "ok") {
    status.textContent = kind === "save" ? `Saved ${data.path}` : `Wrote ${data.path}/ (open report.html there)`;
  } else if (data.status === "invalid") {
    status.textContent = data.problems.map((p) => p.message).join("\n");
  } else {
    status.textContent = data.error || "failed";
  }
  document.dispatchEvent(new CustomEvent("kposim:written", { detail: data }));
}

// --- start -------------------------------------------------------------------------------------

async function start() {
  const response = await fetch("/api/state");
  const state = await response.json();
  page.state = state;
  document.getElementById("title").textContent = `What if… ${state.scenario}`;
  document.getElementById("name").value = state.suggested_name;
  buildControls(state);
  draw({ ...state.baseline, words: {} });
  document.getElementById("reset").addEventListener("click", resetAll);
  document.getElementById("save").addEventListener("click", () => write("save"));
  document.getElementById("report").addEventListener("click", () => write("report"));
  document.body.dataset.ready = "1";
  document.dispatchEvent(new CustomEvent("kposim:ready"));
  if (restoreFromAddress()) rerun(null);
}

start();
