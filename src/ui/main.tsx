// The Game DB web UI: bundled by scripts/build-assets.mjs (esbuild) into public/app/.
import { render } from "preact";
import { App } from "./components/App";
import "./app.css";

const root = document.getElementById("app");
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
