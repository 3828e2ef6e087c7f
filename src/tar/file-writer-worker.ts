// A writer thread of FileWriterPool: makes the files of each batch it is sent, in order, and
// answers with the outcome of each file that is not simply done. Errors are outcomes too, so the
// extractor names the entry.
import { parentPort } from 'node:worker_threads';
import { unpackJobs, writeFileJob, type WriterBatch, type WriterReply } from './file-job.ts';

parentPort?.on('message', (batch: WriterBatch) => {
  const others: WriterReply['others'] = [];
  unpackJobs(batch.packed, batch.count).forEach((job, i) => {
    try {
      const outcome = writeFileJob(job);
      if (outcome.kind !== 'done') others.push([i, outcome]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      others.push([i, { kind: 'failed', message: e.message, code: e.code, syscall: e.syscall, path: e.path }]);
    }
  });
  const reply: WriterReply = { id: batch.id, others };
  parentPort?.postMessage(reply);
});
