// @vitest-environment happy-dom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { loadSession, saveSession, sessionFromToken } from "../src/auth/session.js";

const claims = (body: object) => `e30.${btoa(JSON.stringify(body)).replace(/=+$/, "")}.sig`;

describe("sessionFromToken", () => {
  it("takes the most privileged of the token's groups, as the APIs do", () => {
    const session = sessionFromToken(claims({ sub: "u1", exp: 4102444800, "cognito:groups": ["customer", "operator"] }), "Ines");
    expect(session).toMatchObject({ userId: "u1", role: "operator", name: "Ines", expiresAt: 4102444800 });
  });

  it("refuses a token without a known role", () => {
    expect(() => sessionFromToken(claims({ sub: "u1", exp: 4102444800, "cognito:groups": ["admin"] }))).toThrow(/role/);
  });

  it("forgets an expired session", () => {
    saveSession(sessionFromToken(claims({ sub: "u1", exp: 1000, "cognito:groups": ["driver"] })));
    expect(loadSession(sessionStorage, 2_000_000)).toBeUndefined();
    expect(sessionStorage.getItem("haul.session")).toBeNull();
  });

  it("renders in the test DOM", () => {
    render(<p>signed in</p>);
    expect(screen.getByText("signed in")).toBeTruthy();
  });
});
