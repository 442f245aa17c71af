// Where Chromium's SwiftShader Vulkan driver lives, so Node's Dawn (`webgpu` npm package) can find a
// Vulkan device on machines with no GPU. Returns the environment to add; empty when none is found.
import { existsSync } from 'node:fs';

const CANDIDATE_DIRS = ['/usr/lib/chromium', '/usr/lib64/chromium', '/usr/lib/chromium-browser'];

/** @returns {Record<string,string>} */
export function swiftShaderEnv(env = process.env) {
  if (env.VK_ICD_FILENAMES) return {};
  for (const dir of CANDIDATE_DIRS) {
    const icd = `${dir}/vk_swiftshader_icd.json`;
    if (existsSync(icd)) {
      const ld = [dir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
      return { VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: ld };
    }
  }
  return {};
}
