{
  "targets": [
    {
      "target_name": "rtp_io",
      "sources": ["src/native/rtp_io.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
