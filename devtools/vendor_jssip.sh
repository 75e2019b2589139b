#!/bin/sh
# Rebuilds agent_ui/static/vendor/jssip-<version>.min.js: npm's JsSIP ships CommonJS only, so its
# pinned version and dependencies are bundled once into one file the page loads as a classic
# script (window.JsSIP). No build step at run time; the result is committed with its licences.
set -eu
JSSIP=3.13.8
ESBUILD=0.24.2
out="$(cd "$(dirname "$0")/.." && pwd)/agent_ui/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "jssip@$JSSIP" "esbuild@$ESBUILD" >/dev/null
echo 'window.JsSIP = require("jssip");' > entry.js
npx esbuild entry.js --bundle --minify --format=iife --target=es2019 \
  --define:process.env.NODE_ENV='"production"' --outfile="$out/jssip-$JSSIP.min.js"
echo "built $out/jssip-$JSSIP.min.js; update jssip-$JSSIP.LICENSE.txt if the dependencies changed:"
npm ls --all --omit=dev jssip
