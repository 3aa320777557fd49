/** Which driver errors become a 503 with Retry-After, and which of those mean "read-only for now" (a write freeze). */
import { expect } from "chai";
import { isReadOnly, isUnavailable } from "../../../app/db/errors.ts";
import { guardDbError } from "../../../app/db/write.ts";
import { AppError } from "../../../app/http/problem.ts";
import { describeTlsFailure } from "../../../app/db/connection-errors.ts";

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("database error classes", () => {
  it("reads MariaDB 1290 and 1836 as read-only, answered 503 database-read-only with Retry-After", () => {
    for (const code of ["ER_OPTION_PREVENTS_STATEMENT", "ER_READ_ONLY_MODE"]) {
      expect(isReadOnly(err(code))).to.equal(true);
      const guarded = guardDbError(err(code));
      expect(guarded).to.be.instanceOf(AppError);
      expect(guarded).to.include({ status: 503, code: "database-read-only" });
      expect((guarded as AppError).headers["Retry-After"]).to.equal("5");
    }
  });

  it("answers access denied (a rotated password not picked up yet) as unavailable, and a bad query not at all", () => {
    expect(isUnavailable(err("ER_ACCESS_DENIED_ERROR"))).to.equal(true);
    expect(guardDbError(err("ER_ACCESS_DENIED_ERROR"))).to.include({ status: 503, code: "database-unavailable" });
    const bad = err("ER_PARSE_ERROR");
    expect(isUnavailable(bad)).to.equal(false);
    expect(guardDbError(bad)).to.equal(bad);
  });

  it("describes a failed certificate check naming the CA setting", () => {
    expect(describeTlsFailure(err("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "REDIS_TLS_CA_FILE")).to.match(/not signed by a trusted CA .*check REDIS_TLS_CA_FILE/);
    expect(describeTlsFailure(err("HANDSHAKE_SSL_ERROR", "self-signed certificate in certificate chain"), "DATABASE_TLS_CA_FILE")).to.match(
      /failed the check \(self-signed certificate in certificate chain\); check DATABASE_TLS_CA_FILE/,
    );
    expect(describeTlsFailure(err("ECONNREFUSED"), "DATABASE_TLS_CA_FILE")).to.equal(undefined);
  });
});
