"""Media for the PBX: rtpengine's NG control protocol, its process, and the prompts."""
