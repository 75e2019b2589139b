"""What the browser phone hears, tone by tone, for the WebRTC call-path tests.

The page's last RTCPeerConnection (kept by `CAPTURE_PEER_CONNECTIONS` of the queue-call test)
has one remote audio track; a WebAudio analyser on it gives the spectrum, and a tone is heard
when its bin stands well above the spectrum's median (the noise floor). This tells which
party's tone reaches the browser, where `getStats()` only says that some audio did.
"""

from __future__ import annotations

from playwright.sync_api import Page

HEARD_DB = 70.0
"""How far above the median bin a tone's bin must be: a party's tone through G.711 and Opus
stands ~110 dB above it; the mixing products of two tones reach ~45 dB."""

TONE_LEVELS_SCRIPT = """
window.__toneLevels = async (frequencies) => {
  const connection = window.__peerConnections[window.__peerConnections.length - 1];
  if (!connection) return null;
  const receiver = connection.getReceivers().find((r) => r.track && r.track.kind === "audio");
  if (!receiver) return null;
  if (window.__analysedTrack !== receiver.track) {
    const context = window.__audioContext || (window.__audioContext = new AudioContext());
    await context.resume();
    const source = context.createMediaStreamSource(new MediaStream([receiver.track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    analyser.smoothingTimeConstant = 0;
    source.connect(analyser);
    window.__analyser = analyser;
    window.__analysedTrack = receiver.track;
  }
  const analyser = window.__analyser;
  const spectrum = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(spectrum);
  const finite = Array.from(spectrum).filter(Number.isFinite).sort((a, b) => a - b);
  const floor = finite.length ? finite[Math.floor(finite.length / 2)] : -200;
  const binHz = analyser.context.sampleRate / analyser.fftSize;
  const levels = {};
  for (const frequency of frequencies) {
    const bin = Math.round(frequency / binHz);
    let peak = -Infinity;
    for (let k = bin - 2; k <= bin + 2; k++) peak = Math.max(peak, spectrum[k]);
    levels[frequency] = Number.isFinite(peak) ? peak - floor : 0;
  }
  return levels;
};
"""
"""An init script (`context.add_init_script`, after the peer-connection capture): defines
`window.__toneLevels(frequencies)` in every page, where the page's CSP allows no `eval`."""


def wait_until_browser_hears(page: Page, frequency: float, timeout_ms: float = 20_000) -> None:
    """Until `frequency` stands out in five analyser reads in a row (100 ms apart)."""
    page.evaluate(
        """async ([frequency, threshold, timeout]) => {
          const read = window.__toneLevels;
          const deadline = performance.now() + timeout;
          let inRow = 0;
          while (performance.now() < deadline) {
            const heard = await read([frequency]);
            inRow = heard && heard[frequency] > threshold ? inRow + 1 : 0;
            if (inRow >= 5) return;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          const last = await read([frequency]);
          throw new Error(`${frequency} Hz not heard in the browser: ${JSON.stringify(last)}`);
        }""",
        [frequency, HEARD_DB, timeout_ms],
    )
