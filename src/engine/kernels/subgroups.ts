// Subgroup reductions for the row programs (webgpu_program.ts): where the device has WebGPU's `subgroups`
// feature, a workgroup's sum or max is subgroupAdd/subgroupMax within each subgroup, then one shared-memory
// step across subgroups — two barriers a reduction instead of the tree's eight (64 threads). Without the
// feature, or with the switch off, the shared-memory tree runs as before; the flag is in each program's
// shader key, so both paths compile side by side and the self-check runs both in one process.
// Any subgroup size and layout: WGSL promises neither a size (4 on SwiftShader, 32 or 64 on GPUs, up to
// 128) nor that a subgroup is consecutive threads, so each program first names every subgroup by its
// lowest thread and numbers them in that order (subgroupSlots: one barrier and 64 reads, once a program).
// tfjs writes its own prelude before a program's code, and WGSL wants `enable` first: the backend's device
// moves the directive to the top (hoistDirectives, installed where the device is made: webgpu_device.ts).
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export const SUBGROUPS_FEATURE = 'subgroups';
const DIRECTIVE = 'enable subgroups;';

let allowed = true;

/** Lets the reductions use subgroups where the device has them (on), or forces the shared-memory path (off). */
export function switchSubgroups(on: boolean): void {
  allowed = on;
}

export function subgroupsAllowed(): boolean {
  return allowed;
}

/** Runs `work` (and waits for it) with the switch set to `on`, then puts it back as it was. */
export async function withSubgroups<T>(on: boolean, work: () => Promise<T> | T): Promise<T> {
  const was = allowed;
  allowed = on;
  try {
    return await work();
  } finally {
    allowed = was;
  }
}

export function deviceHasSubgroups(backend: WebGPUBackend): boolean {
  return backend.device.features.has(SUBGROUPS_FEATURE);
}

/** True when this backend's programs reduce by subgroups: its device has the feature and the switch allows it. */
export function useSubgroups(backend: WebGPUBackend): boolean {
  return allowed && deviceHasSubgroups(backend);
}

/** WGSL: workgroupSum and workgroupMax over `threads` threads by subgroups; main calls subgroupSlots(tid) first. */
export function subgroupReduce(threads: number): string {
  const reduce = (name: string, op: string, join: (a: string, b: string) => string) => `
  fn ${name}(v : f32, tid : i32) -> f32 {
    let s = ${op}(v);
    if (sgLead) { partial[sgSlot] = s; }
    workgroupBarrier();
    var total = partial[0];
    for (var k = 1; k < sgCount; k = k + 1) { total = ${join('total', 'partial[k]')}; }
    workgroupBarrier(); // all threads read partial before a next reduction overwrites it
    return total;
  }`;
  return `
  ${DIRECTIVE}
  var<workgroup> partial : array<f32, ${threads}>;
  var<workgroup> leads : array<u32, ${threads}>;
  var<private> sgLead : bool; // this thread is its subgroup's lowest
  var<private> sgSlot : i32; // its subgroup's number: how many subgroups have a lower lowest thread
  var<private> sgCount : i32; // subgroups in the workgroup

  fn subgroupSlots(tid : i32) {
    let lead = subgroupMin(u32(tid));
    sgLead = u32(tid) == lead;
    leads[tid] = select(0u, 1u, sgLead);
    workgroupBarrier();
    var below = 0;
    var all = 0;
    for (var t = 0u; t < ${threads}u; t = t + 1u) {
      let f = i32(leads[t]);
      all = all + f;
      if (t < lead) { below = below + f; }
    }
    sgSlot = below;
    sgCount = all;
  }
  ${reduce('workgroupSum', 'subgroupAdd', (a, b) => `${a} + ${b}`)}
  ${reduce('workgroupMax', 'subgroupMax', (a, b) => `max(${a}, ${b})`)}
`;
}

/** The device's shader modules with our `enable subgroups;` moved to the top, where WGSL requires it. */
export function hoistDirectives(device: GPUDevice): void {
  const create = device.createShaderModule.bind(device);
  device.createShaderModule = (d: GPUShaderModuleDescriptor) =>
    d.code.includes(DIRECTIVE) ? create({ ...d, code: `${DIRECTIVE}\n${d.code.replace(DIRECTIVE, '')}` }) : create(d);
}
