// Loads a Chrome Trace Event JSON file with two programs people open fntrace's exports in, and
// prints, as JSON, the call tree each of them rebuilt for every thread, flat (a tree can be
// deeper than a JSON reader's nesting): a call's name where it opens, null where it closes; the
// trace engine's has the signals too ("--- SIGUSR1 ---", null), which speedscope does not show.
//
//   node trees.mjs TRACE.json
//   node trees.mjs --serve      (a TRACE.json path a line on stdin, an answer a line on stdout;
//                                an answer {"error": "..."} if reading that one failed)
//   {"speedscope": {"threads": {"PID:TID": ["main", "f", null, "g", null, null, ...]},
//                   "names": {...}, "importer": "...", "warnings": [...]},
//    "trace_engine": {"threads": {...}, "names": {...}, "errors": [...]}}
//
// speedscope (npm "speedscope") ships only its web app, one bundle; its importers are the module
// whose exports include importProfileGroupFromText, loaded lazily by the app. The bundle runs here
// in a VM context with a stub DOM (the app itself cannot start there, and does not need to), and
// the promise of that module is kept as the app creates it. Chrome's trace engine (npm
// "@paulirish/trace_engine", the DevTools Performance panel's) is loaded as its README shows.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// Node 18 (Debian 12's) lacks URL.parse, which the trace engine calls on page URLs.
if (!URL.parse)
  URL.parse = (url, base) => { try { return new URL(url, base); } catch { return null; } };
// The trace engine expects a browser's DOMRect (its README says to provide one).
if (!globalThis.DOMRect)
  globalThis.DOMRect = class DOMRect {
    constructor(x = 0, y = 0, width = 0, height = 0) { Object.assign(this, { x, y, width, height }); }
  };

function threadKey(pid, tid) {
  return `${pid}:${tid}`;
}

// Loading speedscope's bundle takes most of a run's time: --serve loads it once. Each import
// gets its own warnings and logs: the sandbox's console writes to sink's current arrays.
const sink = { warnings: [], logs: [] };
let importerLoaded = null;

async function speedscopeImporter() {
  const dir = path.join(here, 'node_modules/speedscope/dist/release');
  const file = fs.readdirSync(dir).find(f => /^speedscope-.*\.js$/.test(f));
  let src = fs.readFileSync(path.join(dir, file), 'utf8');
  const mod = /var ([\w$]+)=\{\};[\w$]+\(\1,\{importFromFileSystemDirectoryEntry:/.exec(src);
  if (!mod)
    throw new Error(`${file}: no module exporting importProfileGroupFromText`);
  const name = mod[1].replace(/\$/g, '\\$');
  const load = new RegExp(`Promise\\.resolve\\(\\)\\.then\\(\\(\\)=>\\([\\w$]+\\(\\),${name}\\)\\)`);
  if (!load.test(src))
    throw new Error(`${file}: the importer module is never loaded`);
  src = src.replace(load, s => `(globalThis.__fntraceImporter=${s})`);
  const stub = new Proxy(function () {}, {
    get: (t, k) => (k === Symbol.toPrimitive ? () => '' : stub),
    apply: () => stub,
    construct: () => stub,
  });
  const sandbox = {
    console: { log: (...a) => sink.logs.push(a.join(' ')), warn: (...a) => sink.warnings.push(a.join(' ')),
               error: (...a) => sink.warnings.push(a.join(' ')), info() {}, debug() {}, assert() {} },
    URL, TextDecoder, TextEncoder, setTimeout, clearTimeout, queueMicrotask,
    document: stub, navigator: { userAgent: 'node' },
    location: { href: 'file:///trace', protocol: 'file:', hash: '', search: '' },
    localStorage: { getItem: () => null, setItem() {} },
    addEventListener() {}, removeEventListener() {}, requestAnimationFrame: () => 0, devicePixelRatio: 1,
  };
  sandbox.window = sandbox;
  sandbox.self = sandbox;
  vm.createContext(sandbox);
  try {
    vm.runInContext(src, sandbox, { filename: file });
  } catch {
    // The app's start needs a real DOM; the importer, created before it, does not.
  }
  if (!sandbox.__fntraceImporter)
    throw new Error(`${file}: the importer module did not load`);
  return sandbox.__fntraceImporter;
}

async function withSpeedscope(text, file) {
  const warnings = [], logs = [];
  sink.warnings = warnings;
  sink.logs = logs;
  importerLoaded ??= speedscopeImporter();
  const importer = await importerLoaded;
  const group = await importer.importProfileGroupFromText(path.basename(file), text);
  const threads = {}, names = {};
  for (const profile of group ? group.profiles : []) {
    const label = profile.getName();
    const pid = /\bpid (\d+)/.exec(label), tid = /\btid (\d+)/.exec(label);
    const key = threadKey(pid && pid[1], tid && tid[1]);
    const calls = [];
    profile.forEachCall(node => calls.push(node.frame.name), () => calls.push(null));
    threads[key] = calls;
    names[key] = label;
  }
  return { threads, names, importer: logs.filter(l => l.startsWith('Importing as')).join('; '), warnings };
}

async function withTraceEngine(events) {
  const errors = [];
  const saved = console.error;
  console.error = (...a) => errors.push(a.join(' '));
  try {
    const Trace = await import('@paulirish/trace_engine');
    const model = Trace.TraceModel.Model.createWithAllHandlers();
    await model.parse(events);
    const parsed = model.parsedTrace();
    const data = parsed.data ?? parsed;
    const threads = {}, names = {};
    // Its tree holds every event of a thread: calls, signals ("--- SIGUSR1 ---", an instant in
    // the call it interrupted, closed at once) and process ends (left out: the graph has them
    // apart). Walked without recursion.
    const flat = roots => {
      const calls = [], todo = [...roots].reverse();
      while (todo.length) {
        const node = todo.pop();
        if (node === null) {
          calls.push(null);
          continue;
        }
        if (node.entry.cat === 'call' || node.entry.cat === 'signal') {
          calls.push(node.entry.cat === 'call' ? node.entry.name : `--- ${node.entry.name} ---`);
          todo.push(null);
        }
        for (let i = node.children.length - 1; i >= 0; i--)
          todo.push(node.children[i]);
      }
      return calls;
    };
    for (const [pid, proc] of data.Renderer.processes)
      for (const [tid, thread] of proc.threads) {
        threads[threadKey(pid, tid)] = flat(thread.tree.roots);
        names[threadKey(pid, tid)] = thread.name;
      }
    return { threads, names, errors };
  } finally {
    console.error = saved;
  }
}

async function trees(file) {
  const text = fs.readFileSync(file, 'utf8');
  const trace = JSON.parse(text);
  return {
    speedscope: await withSpeedscope(text, file),
    trace_engine: await withTraceEngine(trace.traceEvents ?? trace),
  };
}

if (process.argv[2] === '--serve') {
  for await (const file of readline.createInterface({ input: process.stdin })) {
    let out;
    try {
      out = await trees(file);
    } catch (e) {
      out = { error: String(e && e.stack || e) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
} else {
  process.stdout.write(JSON.stringify(await trees(process.argv[2])) + '\n');
}
