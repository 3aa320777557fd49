import { expect } from "chai";
import { describeError, isConnectionError } from "../../../app/db/connection-errors.ts";

describe("database connection errors", () => {
  it("tells an unreachable server from a bad query", () => {
    expect(isConnectionError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).to.equal(true);
    expect(isConnectionError(Object.assign(new Error("lost"), { code: "PROTOCOL_CONNECTION_LOST", fatal: true }))).to.equal(true);
    expect(isConnectionError(new Error("Can't add new command when connection is in closed state"))).to.equal(true);
    expect(isConnectionError(Object.assign(new Error("You have an error in your SQL syntax"), { code: "ER_PARSE_ERROR" }))).to.equal(false);
    expect(isConnectionError(Object.assign(new Error("Duplicate entry"), { code: "ER_DUP_ENTRY" }))).to.equal(false);
    expect(isConnectionError("ECONNREFUSED")).to.equal(false);
  });

  it("describes an error in one line with its code", () => {
    expect(describeError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1\nmore"), { code: "ECONNREFUSED" }))).to.equal(
      "ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1)",
    );
  });
});
