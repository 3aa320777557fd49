/** The floor under the framework: node:http answering every GET with a fixed JSON body the size of a real item. */
import { createServer } from "node:http";

const body = process.env.BODY ?? "{}";
const length = String(Buffer.byteLength(body));
const port = Number(process.env.PORT ?? 0);
createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": length });
  res.end(body);
}).listen(port, "127.0.0.1", function (this: { address(): { port: number } }) {
  console.log(`listening on http://127.0.0.1:${this.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
