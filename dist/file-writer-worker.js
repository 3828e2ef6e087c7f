import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);

// src/tar/file-writer-worker.ts
import { parentPort } from "node:worker_threads";

// src/tar/file-job.ts
import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, futimesSync, lstatSync, openSync, unlinkSync, writeSync } from "node:fs";
var PACKED_NUMBERS = 7;
function unpackJobs(packed, count) {
  const numbers = new Float64Array(packed, 0, count * PACKED_NUMBERS);
  const bytes = Buffer.from(packed);
  const jobs = [];
  let at = count * PACKED_NUMBERS * 8;
  for (let i = 0; i < count; i++) {
    const [pathLength, dataLength, mode, uid, gid, mtime, flags] = numbers.subarray(i * PACKED_NUMBERS, (i + 1) * PACKED_NUMBERS);
    const path = bytes.toString("utf8", at, at + pathLength);
    at += pathLength;
    jobs.push({ path, data: bytes.subarray(at, at + dataLength), mode, uid, gid, mtime, chown: (flags & 1) !== 0, chmod: (flags & 2) !== 0 });
    at += dataLength;
  }
  return jobs;
}
var CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
function openExclusive(path, mode) {
  try {
    return { fd: openSync(path, CREATE_FLAGS, mode & 511), replacedSymlink: false };
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
  }
  const st = lstatSync(path);
  if (st.isDirectory()) return "dir-in-the-way";
  unlinkSync(path);
  return { fd: openSync(path, CREATE_FLAGS, mode & 511), replacedSymlink: st.isSymbolicLink() };
}
function writeAll(fd, data, position) {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off, position === void 0 ? null : position + off);
}
var HOLE_BLOCK = 4096;
var ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);
function finishFile(fd, job) {
  try {
    if (job.chown) fchownSync(fd, job.uid, job.gid);
    if (job.chmod) fchmodSync(fd, job.mode);
    futimesSync(fd, job.mtime, job.mtime);
  } finally {
    closeSync(fd);
  }
}
function fillFile(fd, job) {
  try {
    writeAll(fd, job.data);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  finishFile(fd, job);
}
function writeFileJob(job) {
  const opened = openExclusive(job.path, job.mode);
  if (opened === "dir-in-the-way") return { kind: "dir-in-the-way" };
  fillFile(opened.fd, job);
  return { kind: opened.replacedSymlink ? "replaced-symlink" : "done" };
}

// src/tar/file-writer-worker.ts
parentPort?.on("message", (batch) => {
  const others = [];
  unpackJobs(batch.packed, batch.count).forEach((job, i) => {
    try {
      const outcome = writeFileJob(job);
      if (outcome.kind !== "done") others.push([i, outcome]);
    } catch (err) {
      const e = err;
      others.push([i, { kind: "failed", message: e.message, code: e.code, syscall: e.syscall, path: e.path }]);
    }
  });
  const reply = { id: batch.id, others };
  parentPort?.postMessage(reply);
});
