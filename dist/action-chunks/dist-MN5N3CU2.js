import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);
import {
  require_dist2 as require_dist
} from "./chunk-D7F3XDSA.js";
import "./chunk-36T5EY7I.js";
export default require_dist();
