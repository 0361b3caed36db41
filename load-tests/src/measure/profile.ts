import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Reads a `node --cpu-prof` profile of the API and says where its main
 * thread spent the run. Percentages are of the samples the thread was not
 * idle in.
 *
 * - self: the function on top of the stack (often a syscall or node internal);
 * - owner: the nearest frame up the stack that is neither node's own code nor
 *   native, i.e. the library or project function that asked for the work
 *   (`writev` under express's `res.send` counts for `send`). Middleware
 *   chains nest (helmet calls next(), which runs everything after it), so
 *   plain inclusive time says little about a middleware; owner time does;
 * - inclusive: every sample whose stack passes through the package or function.
 */
const callFrame = z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() });
const cpuProfile = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame, children: z.array(z.number()).optional() })),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
  startTime: z.number(),
  endTime: z.number(),
});

export interface ProfileEntry {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  samples: number;
  /** Share of samples in which the main thread was busy (not idle). */
  busyPercent: number;
  busySeconds: number;
  selfByFunction: ProfileEntry[];
  selfByPackage: ProfileEntry[];
  ownerByFunction: ProfileEntry[];
  ownerByPackage: ProfileEntry[];
  inclusiveByPackage: ProfileEntry[];
  inclusiveByProjectFunction: ProfileEntry[];
}

type Frame = z.infer<typeof callFrame>;

/** node_modules/<pkg> (scoped too), node's own modules, the project's files, or V8's pseudo-frames. */
function packageOf(frame: Frame): string {
  const { url, functionName } = frame;
  // (root) owns what no JS function asked for: node parsing HTTP, reading sockets, running timers.
  if (url === '')
    return functionName === '(root)' ? '(node: HTTP parsing, socket reads)' : functionName.startsWith('(') ? functionName : '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inModules) return inModules[1] as string;
  if (url.startsWith('node:')) return 'node (internals)';
  const project = /\/dist\/(.+)\.js$/.exec(url);
  return project ? `project ${path.dirname(project[1] as string)}` : url;
}

/** Frames that work on someone else's behalf: their time goes to the nearest caller outside them. */
const DELEGATES = new Set(['node (internals)', '(native)']);

function functionKey(frame: Frame): string {
  if (frame.url === '' && frame.functionName === '(root)') return packageOf(frame);
  const file = frame.url
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, '')
    .replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

function top(counts: Map<string, number>, total: number, limit: number): ProfileEntry[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, count]) => ({ name, percent: Math.round((count / total) * 1000) / 10 }));
}

/**
 * `lastSeconds`: only the samples of the profile's last seconds (the load
 * ran until the process was stopped), so start-up (module loading, the
 * migrations) does not count.
 */
export function summariseProfile(file: string, lastSeconds?: number): ProfileSummary {
  const profile = cpuProfile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const from = lastSeconds === undefined ? -Infinity : profile.endTime - lastSeconds * 1e6;
  const inWindow: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at >= from) inWindow.push(id);
  });
  const windowStart = Math.max(profile.startTime, from);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const selfPackage = new Map<string, number>();
  const owner = new Map<string, number>();
  const ownerPackage = new Map<string, number>();
  const inclusivePackage = new Map<string, number>();
  const inclusiveProject = new Map<string, number>();
  let busy = 0;
  for (const id of inWindow) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busy++;
    self.set(functionKey(node.callFrame), (self.get(functionKey(node.callFrame)) ?? 0) + 1);
    selfPackage.set(packageOf(node.callFrame), (selfPackage.get(packageOf(node.callFrame)) ?? 0) + 1);
    // Each package and project function counts once per sample, however deep it recurses.
    const seenPackages = new Set<string>();
    const seenFunctions = new Set<string>();
    let owned = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const pkg = packageOf(frame);
      seenPackages.add(pkg);
      if (pkg.startsWith('project ')) seenFunctions.add(functionKey(frame));
      if (!owned && !DELEGATES.has(pkg)) {
        owned = true;
        owner.set(functionKey(frame), (owner.get(functionKey(frame)) ?? 0) + 1);
        ownerPackage.set(pkg, (ownerPackage.get(pkg) ?? 0) + 1);
      }
    }
    for (const pkg of seenPackages) inclusivePackage.set(pkg, (inclusivePackage.get(pkg) ?? 0) + 1);
    for (const fn of seenFunctions) inclusiveProject.set(fn, (inclusiveProject.get(fn) ?? 0) + 1);
  }
  const total = Math.max(busy, 1);
  return {
    file,
    seconds: (profile.endTime - windowStart) / 1e6,
    samples: inWindow.length,
    busyPercent: Math.round((busy / Math.max(inWindow.length, 1)) * 1000) / 10,
    busySeconds: ((profile.endTime - windowStart) / 1e6) * (busy / Math.max(inWindow.length, 1)),
    selfByFunction: top(self, total, 25),
    selfByPackage: top(selfPackage, total, 15),
    ownerByFunction: top(owner, total, 30),
    ownerByPackage: top(ownerPackage, total, 15),
    inclusiveByPackage: top(inclusivePackage, total, 15),
    inclusiveByProjectFunction: top(inclusiveProject, total, 20),
  };
}

/** The newest .cpuprofile in `dir` (node names them by time and pid). */
export function newestProfile(dir: string): string | null {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}
