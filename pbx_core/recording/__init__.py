"""Call recordings: rtpengine's pcap files, converted to WAV and purged by rq jobs."""
