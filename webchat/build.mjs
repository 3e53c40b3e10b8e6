// Bundles the widget (src/widget.js with socket.io-client) and the styles into dist/.
// Run through scripts/build-webchat.sh, which installs the locked packages first.
import { build } from "esbuild";

const common = { bundle: true, minify: true, legalComments: "none", logLevel: "warning" };

await build({
  ...common,
  entryPoints: ["src/widget.js"],
  outfile: "dist/widget.js",
  format: "iife",
  target: "es2020",
});
await build({
  ...common,
  entryPoints: ["src/widget.css", "src/page.css"],
  outdir: "dist",
  target: ["chrome90", "firefox90", "safari15"],
});
