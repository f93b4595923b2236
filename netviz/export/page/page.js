// netviz walkthrough page (netviz export html): inlined into the page, which loads nothing.
// Decodes the embedded arrays, draws the canvases from them, writes the value under the pointer
// as netviz writes numbers (netviz.numbers.fmt), and moves between steps: ← → Home End, the
// list in the bar, and the address in the URL's fragment (#e0/x0/fwd/L1/Z).
"use strict";
(() => {
  const root = document.documentElement;
  root.classList.add("js");
  const meta = JSON.parse(document.getElementById("nv-meta").textContent);
  const blocks = JSON.parse(document.getElementById("nv-arrays").textContent);
  const steps = Array.from(document.querySelectorAll("main > section.step"));
  const lut = meta.lut.map((hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)));
  const NAN = [85, 85, 85]; // NaN is grey, never mistaken for 0 (white)

  // --- numbers: f"{value:+.4g}" as Python writes it, and 0 for ±0 ---------------------------
  function fourDigits(a) {
    // 4 significant digits and the exponent, rounded half to even on the exact value, as
    // Python does: JavaScript rounds a tie up, so a tie is looked for in 60 digits
    let [m, e] = a.toExponential(3).split("e");
    let digits = m.replace(".", ""), exp = Number(e);
    const [lm, le] = a.toExponential(60).split("e");
    const long = lm.replace(".", "");
    if (long[4] === "5" && /^0*$/.test(long.slice(5)) && Number(long[3]) % 2 === 0) {
      digits = long.slice(0, 4);
      exp = Number(le);
    }
    return [digits, exp];
  }
  function trim(text) {
    return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  }
  function fmt(value) {
    if (value === 0) return "0";
    if (Number.isNaN(value)) return "+nan";
    if (!Number.isFinite(value)) return value > 0 ? "+inf" : "-inf";
    const [digits, exp] = fourDigits(Math.abs(value));
    let text;
    if (exp >= -4 && exp < 4) {
      text = exp >= 0
        ? digits.slice(0, exp + 1) + "." + digits.slice(exp + 1)
        : "0." + "0".repeat(-exp - 1) + digits;
      text = trim(text);
    } else {
      const power = String(Math.abs(exp)).padStart(2, "0");
      text = trim(digits[0] + "." + digits.slice(1)) + "e" + (exp < 0 ? "-" : "+") + power;
    }
    return (value < 0 ? "-" : "+") + text;
  }

  // --- the embedded arrays --------------------------------------------------------------------
  const decoded = new Map();
  const TYPES = { "<f8": Float64Array, "<f4": Float32Array, "|u1": Uint8Array };
  function decode(id) {
    if (!decoded.has(id)) {
      const block = blocks[id];
      const bytes = Uint8Array.from(atob(block.z), (c) => c.charCodeAt(0));
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
      decoded.set(id, new Response(stream).arrayBuffer().then((buffer) => ({
        shape: block.shape, values: new TYPES[block.dtype](buffer),
      })));
    }
    return decoded.get(id);
  }

  // --- drawing ----------------------------------------------------------------------------------
  function quotient(values, k, g) {
    // ΣdW/m as netviz divides it: in the array's own precision (float32 rounds the quotient)
    const q = values[k] / g.divide;
    return values instanceof Float32Array ? Math.fround(q) : q;
  }
  function geometry(canvas) {
    const d = canvas.dataset;
    const g = { kind: d.kind, s: +d.s, name: d.name, divide: d.divide ? +d.divide : 1 };
    if (g.kind === "tiles") {
      Object.assign(g, { n: +d.rows, cols: +d.cols, side: +d.side, per: +d.tiles, gap: +d.gap,
                         label: +d.label });
    } else if (g.kind === "matrix") {
      Object.assign(g, { rows: +d.rows, cols: +d.cols });
    } else {
      Object.assign(g, { side: +d.side });
    }
    return g;
  }
  // where each entry k is drawn: [x, y] of its top-left pixel
  function place(g, k) {
    if (g.kind === "tiles") {
      const t = Math.floor(k / g.cols), p = k % g.cols;
      const ox = (t % g.per) * (g.side * g.s + g.gap);
      const oy = Math.floor(t / g.per) * (g.side * g.s + g.label + g.gap) + g.label;
      return [ox + (p % g.side) * g.s, oy + Math.floor(p / g.side) * g.s];
    }
    if (g.kind === "matrix") return [(k % g.cols) * g.s, Math.floor(k / g.cols) * g.s];
    return [(k % g.side) * g.s, Math.floor(k / g.side) * g.s];
  }
  // the entry at pixel (x, y) of the canvas, with what to say about it; null between cells
  function locate(g, x, y) {
    const col = Math.floor(x / g.s), row = Math.floor(y / g.s);
    const own = g.name.includes("/") ? `(${g.name})` : g.name;
    if (g.kind === "tiles") {
      const w = g.side * g.s, h = w + g.label;
      const tx = Math.floor(x / (w + g.gap)), ty = Math.floor(y / (h + g.gap));
      const ix = x - tx * (w + g.gap), iy = y - ty * (h + g.gap) - g.label;
      const t = ty * g.per + tx;
      if (ix < 0 || ix >= w || iy < 0 || iy >= w || t >= g.n || tx >= g.per) return null;
      const r = Math.floor(iy / g.s), q = Math.floor(ix / g.s), p = r * g.side + q;
      return { k: t * g.cols + p, say: (v) =>
        `${own}[${t}, ${p}] = ${fmt(v)} · neuron ${t}, pixel row ${r}, column ${q}` };
    }
    if (g.kind === "matrix") {
      if (col < 0 || col >= g.cols || row < 0 || row >= g.rows) return null;
      const at = g.rows === 1 ? `${col}` : `${row}, ${col}`;
      return { k: row * g.cols + col, say: (v) => `${own}[${at}] = ${fmt(v)}` };
    }
    if (col < 0 || col >= g.side || row < 0 || row >= g.side) return null;
    const k = row * g.side + col;
    return { k, say: (v) => `${own}[${k}] = ${fmt(v)} · row ${row}, column ${col}` };
  }
  function draw(canvas, values) {
    const g = geometry(canvas);
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(canvas.width, canvas.height);
    image.data.fill(255);
    const limit = +canvas.dataset.limit || 1;
    let ink = 0;
    if (g.kind === "digit") for (const v of values) ink = Math.max(ink, v);
    for (let k = 0; k < values.length; k++) {
      const v = quotient(values, k, g);
      let rgb;
      if (Number.isNaN(v)) rgb = NAN;
      else if (g.kind === "digit") {
        const grey = Math.round(255 * (1 - (ink > 0 ? v / ink : 0)));
        rgb = [grey, grey, grey];
      } else {
        const at = Math.round(((Math.max(-limit, Math.min(limit, v)) / limit) + 1) / 2 * 255);
        rgb = lut[at];
      }
      const [x0, y0] = place(g, k);
      for (let y = y0; y < y0 + g.s; y++) {
        for (let x = x0; x < x0 + g.s; x++) {
          const i = (y * canvas.width + x) * 4;
          image.data[i] = rgb[0]; image.data[i + 1] = rgb[1]; image.data[i + 2] = rgb[2];
        }
      }
    }
    ctx.putImageData(image, 0, 0);
    if (g.kind === "tiles") {
      ctx.fillStyle = "#5b6475";
      ctx.font = "15px system-ui, sans-serif";
      for (let t = 0; t < g.n; t++) {
        const [x, y] = place(g, t * g.cols);
        ctx.fillText(`neuron ${t}`, x, y - 4);
      }
    }
    const out = canvas.closest("figure").querySelector(".readout");
    if (!out) return;
    const tell = (event) => {
      const box = canvas.getBoundingClientRect();
      const x = (event.clientX - box.left) * canvas.width / box.width;
      const y = (event.clientY - box.top) * canvas.height / box.height;
      const hit = locate(g, x, y);
      if (hit) out.textContent = hit.say(quotient(values, hit.k, g));
    };
    canvas.addEventListener("pointermove", tell);
    canvas.addEventListener("pointerdown", tell);
  }
  async function drawAll() {
    const canvases = Array.from(document.querySelectorAll("canvas.heat"));
    const here = steps[current];
    canvases.sort((a, b) => (here && here.contains(b) ? 1 : 0) - (here && here.contains(a) ? 1 : 0));
    for (const canvas of canvases) draw(canvas, (await decode(canvas.dataset.id)).values);
    root.dataset.ready = "yes";
  }

  // --- the curves: what the epoch under the pointer measured ------------------------------------
  for (const figure of document.querySelectorAll("figure.curves")) {
    const out = figure.querySelector(".readout");
    for (const svg of figure.querySelectorAll("svg.curve")) {
      const tell = (event) => {
        const box = svg.getBoundingClientRect();
        const x = (event.clientX - box.left) * svg.viewBox.baseVal.width / box.width;
        let best = null;
        for (const said of meta.curve) {
          if (best === null || Math.abs(said[0] - x) < Math.abs(best[0] - x)) best = said;
        }
        if (best) out.textContent = best[1];
      };
      svg.addEventListener("pointermove", tell);
      svg.addEventListener("pointerdown", tell);
    }
  }

  // --- moving between steps -------------------------------------------------------------------
  const jump = document.getElementById("nv-jump");
  const count = document.getElementById("nv-count");
  steps.forEach((s, k) => jump.add(new Option(`${k + 1} · ${s.dataset.address}`, s.dataset.address)));
  let current = -1;
  let opened = false; // set once the page has shown its first step
  function show(k, fromHash) {
    if (!steps.length) return;
    k = Math.max(0, Math.min(steps.length - 1, k));
    if (current >= 0) steps[current].classList.remove("current");
    current = k;
    const step = steps[k];
    step.classList.add("current");
    jump.value = step.dataset.address;
    count.textContent = `${k + 1} / ${steps.length}`;
    // the fragment follows the keys; not on opening, where setting it would scroll past the top
    if (!fromHash && opened) history.replaceState(null, "", `#${step.dataset.address}`);
    if (step.getBoundingClientRect().top < 0) step.scrollIntoView({ block: "start" });
  }
  function fromHash() {
    let address = location.hash.slice(1);
    try {
      address = decodeURIComponent(address);
    } catch (error) {
      // a link cut short (a stray %): look for the address as written
    }
    const k = steps.findIndex((s) => s.dataset.address === address);
    show(k < 0 ? 0 : k, k >= 0);
    if (address && k < 0) count.textContent += ` · no step ${address} on this page`;
  }
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest && event.target.closest("input, select, textarea")) return;
    const to = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: steps.length - 1 };
    if (event.key in to) {
      event.preventDefault();
      show(to[event.key]);
    }
  });
  for (const button of document.querySelectorAll("nav.bar button[data-go]")) {
    button.addEventListener("click", () => show(current + Number(button.dataset.go)));
  }
  jump.addEventListener("change", () => {
    show(steps.findIndex((s) => s.dataset.address === jump.value));
    jump.blur();
  });
  window.addEventListener("hashchange", fromHash);
  const held = document.querySelector("details.included");
  if (held && matchMedia("(max-width: 600px)").matches) held.open = false; // a phone: steps first
  fromHash();
  opened = true;
  const ready = drawAll();

  // for a test, or a curious reader's console
  window.netviz = {
    fmt,
    ready,
    show: (address) => show(steps.findIndex((s) => s.dataset.address === address)),
    current: () => steps[current].dataset.address,
    async values(address) {
      const step = steps.find((s) => s.dataset.address === address);
      const out = {};
      for (const figure of step.querySelectorAll("figure.array[data-id]")) {
        const a = await decode(figure.dataset.id);
        out[figure.dataset.name] = { shape: a.shape, values: Array.from(a.values),
                                     divide: figure.dataset.divide ? +figure.dataset.divide : null };
      }
      return out;
    },
  };
})();
