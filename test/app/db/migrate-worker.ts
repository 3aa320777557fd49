/** Test helper process: waits until START_AT (ms epoch) so several processes migrate at the same instant. */
import { migrate } from "../../../app/db/migrate.ts";

const startAt = Number(process.env.START_AT);
while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 1));
const result = await migrate({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR });
console.log(JSON.stringify(result));
