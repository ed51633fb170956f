import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App.js";
import { HaulProvider } from "./app-context.js";
import { loadConfig } from "./config.js";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <HaulProvider config={config}>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </HaulProvider>
      </StrictMode>,
    ),
  (error: Error) =>
    root.render(
      <main id="main">
        <h1>Haul cannot start</h1>
        <p role="alert">{error.message}</p>
      </main>,
    ),
);
