import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);
import {
  require_dist2 as require_dist
} from "./chunk-4CNQII3I.js";
import "./chunk-WRVPMIQG.js";
export default require_dist();
