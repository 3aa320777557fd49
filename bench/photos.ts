/**
 * `npm run bench:photos -- [--photos 200] [--connections 8] [--width 1600] [--height 1200]`: photo uploads and
 * thumbnails on the stage 5 shape. One app process (app/main.ts) on the local MariaDB, fauxqs for SQS and S3 (in this
 * process), worker processes (app/worker/main.ts, one job at a time each). For one and then two workers it uploads
 * `photos` JPEGs with `connections` concurrent clients and reads from the database when each became ready.
 * Figures: upload rate against direct S3 PUTs of the same bytes in the same run (the baseline), thumbnail throughput
 * and 202->ready latency (p50/p99, from the rows' created_at and updated_at), two workers against one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import sharp from "sharp";
import { createPool } from "mysql2/promise";
import { startFauxqs } from "fauxqs";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import { parseFlags, startServer, stopServers, benchUserToken, loadAverage, uniqueSuffix, type StartedServer } from "./support.ts";

const flags = parseFlags({ photos: 200, connections: 8, width: 1600, height: 1200 });
const MARIADB = process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
const CREDS = { AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", AWS_REGION: "us-east-1" };
Object.assign(process.env, CREDS);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** A photo-like JPEG: noise over a gradient, so it compresses like a photo rather than a flat test card. */
async function photo(width: number, height: number, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = ((i / 3) % width) * 200 / width + (x >>> 27);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

async function inParallel<T>(items: T[], connections: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", "app/worker/main.ts"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    proc.stdout!.on("data", (d: Buffer) => d.toString().includes("scale-worker started") && resolve(proc));
    proc.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

const started = new Date();
const loadBefore = loadAverage();
const database = `bench_photos_${uniqueSuffix()}`;
const admin = createPool({ uri: MARIADB, connectionLimit: 2 });
await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
const s3server = await startFauxqs({ port: 0, logger: false });
s3server.createBucket("uploads");
s3server.createBucket("baseline");
const sqsServer = await startFauxqs({ port: 0, logger: false });
const queue = sqsServer.createQueue("jobs", { attributes: { VisibilityTimeout: "60" } });
const env = {
  ...CREDS, DATABASE_URL: `${MARIADB}/${database}`, UPLOADS_BUCKET: "uploads", S3_ENDPOINT: s3server.address,
  QUEUE_URL: queue.queueUrl, SQS_ENDPOINT: sqsServer.address, LOG_LEVEL: "warn", RATE_LIMIT_PER_MINUTE: "0",
  PHOTO_UPLOADS_PER_MINUTE: "0", WORKER_CONCURRENCY: "1",
};
const servers: StartedServer[] = [];
const workers: ChildProcess[] = [];
try {
  const app = await startServer("app/main.ts", env);
  servers.push(app);
  const token = await benchUserToken(app.url);
  const pool = createPool({ uri: `${MARIADB}/${database}`, connectionLimit: 2 });
  const images = await Promise.all(Array.from({ length: 8 }, (_, i) => photo(flags.width, flags.height, i + 1)));
  const meanBytes = images.reduce((a, b) => a + b.length, 0) / images.length;
  console.error(`${images.length} JPEGs of ${flags.width}x${flags.height}, ${Math.round(meanBytes / 1024)} KiB on average; load average ${loadBefore}`);

  // Baseline: the same bytes PUT straight to the S3 server, same concurrency.
  const s3 = new S3Client({ endpoint: s3server.address, region: "us-east-1", forcePathStyle: true });
  const keys = Array.from({ length: flags.photos }, (_, i) => i);
  let t0 = performance.now();
  await inParallel(keys, flags.connections, async (i) => {
    await s3.send(new PutObjectCommand({ Bucket: "baseline", Key: `b/${i}`, Body: images[i % images.length]!, ContentType: "image/jpeg" }));
  });
  const baselinePerSecond = flags.photos / ((performance.now() - t0) / 1000);

  const runs = [];
  for (const count of [1, 2]) {
    while (workers.length < count) workers.push(await startWorker(env));
    const ids: string[] = [];
    t0 = performance.now();
    await inParallel(keys, flags.connections, async (i) => {
      const body = images[i % images.length]!;
      const res = await fetch(`${app.url}/v1/photos`, { method: "POST", body, headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg", "content-length": String(body.length) } });
      if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
      ids.push(((await res.json()) as { id: string }).id);
    });
    const uploadSeconds = (performance.now() - t0) / 1000;
    for (;;) {
      const [rows] = await pool.query("SELECT COUNT(*) AS n FROM photos WHERE status <> 'pending' AND id IN (?)", [ids]);
      if (Number((rows as Array<{ n: number }>)[0]!.n) === ids.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const [rows] = await pool.query("SELECT status, created_at, updated_at FROM photos WHERE id IN (?)", [ids]);
    const done = rows as Array<{ status: string; created_at: number; updated_at: number }>;
    const failed = done.filter((r) => r.status !== "ready").length;
    const latencies = done.map((r) => Number(r.updated_at) - Number(r.created_at));
    const span = (Math.max(...done.map((r) => Number(r.updated_at))) - Math.min(...done.map((r) => Number(r.created_at)))) / 1000;
    runs.push({
      workers: count, uploadsPerSecond: +(flags.photos / uploadSeconds).toFixed(1), thumbnailsPerSecond: +(flags.photos / span).toFixed(2),
      latencyMs: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: Math.max(...latencies) }, failed, loadAverage: loadAverage(),
    });
    console.error(JSON.stringify(runs.at(-1)));
  }
  await pool.end();
  s3.destroy();
  const [one, two] = runs;
  console.log(JSON.stringify({
    command: `npm run bench:photos -- --photos ${flags.photos} --connections ${flags.connections} --width ${flags.width} --height ${flags.height}`,
    date: started.toISOString(), loadAverage: { before: loadBefore, after: loadAverage() }, meanPhotoKiB: Math.round(meanBytes / 1024),
    baselineS3PutsPerSecond: +baselinePerSecond.toFixed(1), runs,
    ratios: {
      uploadVsDirectS3Put: +(one!.uploadsPerSecond / baselinePerSecond).toFixed(2),
      thumbnailThroughputTwoVsOneWorker: +(two!.thumbnailsPerSecond / one!.thumbnailsPerSecond).toFixed(2),
      p50LatencyTwoVsOneWorker: +(two!.latencyMs.p50 / one!.latencyMs.p50).toFixed(2),
    },
  }, null, 2));
} finally {
  for (const w of workers) w.kill("SIGTERM");
  stopServers(servers);
  await s3server.stop();
  await sqsServer.stop();
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
}
