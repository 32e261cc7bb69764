// The files bench-scale.mjs writes into the cloud's replicated folder: many small ones, or one
// big one written beside the folder and renamed in. Each `write(dir, scratch)` returns the
// sha256 of what it wrote, so the edge's copy can be checked byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

/** Pseudo-random file contents (incompressible, cheap): `size` bytes from a seed. */
function fileBytes(seed, size) {
  const block = createHash('sha512').update(String(seed)).digest();
  const buf = Buffer.allocUnsafe(size);
  for (let o = 0; o < size; o += block.length) block.copy(buf, o, 0, Math.min(block.length, size - o));
  buf.writeUInt32LE(seed >>> 0, 0);
  return buf;
}

export async function sha256(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

export function smallFiles(n) {
  return Array.from({ length: n }, (_, i) => {
    const size = 1024 + ((i * 2654435761) >>> 0) % 3072;
    const name = `bench-${String(i).padStart(5, '0')}.jpg`;
    return {
      name,
      size,
      write(dir) {
        const bytes = fileBytes(i, size);
        writeFileSync(path.join(dir, name), bytes);
        return createHash('sha256').update(bytes).digest('hex');
      },
    };
  });
}

export function bigFile(mib) {
  const name = 'bench-big.bin';
  return [{
    name,
    size: mib * 2 ** 20,
    // Written beside the replicated folder, then renamed in: the cloud never sees half a file.
    async write(dir, scratch) {
      const tmp = path.join(scratch, `${name}.partial`);
      const h = createHash('sha256');
      const fh = await open(tmp, 'w');
      const chunk = randomBytes(2 ** 20);
      for (let i = 0; i < mib; i++) {
        // The MiB's number every 4 KiB: no two pieces of the file are equal, so a store that
        // keeps each distinct chunk once (content-addressed) still moves every byte.
        for (let off = 0; off < chunk.length; off += 4096) chunk.writeUInt32LE(i, off);
        h.update(chunk);
        await fh.write(chunk);
      }
      await fh.close();
      renameSync(tmp, path.join(dir, name));
      return h.digest('hex');
    },
  }];
}
