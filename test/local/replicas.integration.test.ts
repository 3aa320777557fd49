import { expect } from "chai";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import { eventually } from "../support/eventually.ts";
import { local, localDir, localRun, login, type StageDoc } from "./support.ts";

describe("scale local up --stage 3: GTID replicas of the primary", function () {
  this.timeout(900_000);
  const dir = localDir("scale-local-3");
  let up: StageDoc;

  before(async () => {
    up = await local("up", "--stage", "3", "--dir", dir, "--env", "RATE_LIMIT_PER_MINUTE=0");
  });
  after(async () => {
    await localRun("down", "--purge", "--dir", dir);
  });

  it("runs two replicas replicating by GTID, and a write through the endpoint reaches both", async () => {
    const names = up.components.map((c) => c.name);
    expect(names).to.include.members(["mariadb-primary", "mariadb-replica-1", "mariadb-replica-2", "redis"]);
    const token = await login(up.endpoint, "reader");
    const res = await fetch(`${up.endpoint}/v1/items`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ content: "to the replicas" }),
    });
    expect(res.status).to.equal(201);
    const { id } = (await res.json()) as { id: string };
    for (const name of ["mariadb-replica-1", "mariadb-replica-2"]) {
      const port = Number(up.components.find((c) => c.name === name)!.address.split(":")[1]);
      const conn = await createConnection({ host: "127.0.0.1", port, user: "root" });
      try {
        const [status] = await conn.query<RowDataPacket[]>("SHOW SLAVE STATUS");
        expect(status[0]?.Slave_IO_Running, name).to.equal("Yes");
        expect(status[0]?.Slave_SQL_Running, name).to.equal("Yes");
        expect(status[0]?.Using_Gtid, name).to.equal("Slave_Pos");
        await eventually(`${name} has the item`, async () => {
          const [rows] = await conn.query<RowDataPacket[]>("SELECT content FROM app.items WHERE id = ?", [id]);
          return rows[0]?.content === "to the replicas" ? true : undefined;
        }, 30_000);
      } finally {
        await conn.end();
      }
    }
  });
});
