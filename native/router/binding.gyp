{
  "targets": [
    {
      "target_name": "tandem_router",
      "sources": ["router.cc", "http1.cc", "rewrite.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-fno-exceptions", "-Wall", "-Wno-unused-function"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
