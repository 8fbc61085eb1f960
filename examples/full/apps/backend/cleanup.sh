#!/bin/sh
# Run by the backend's pre_stop hook (in the backend's working_dir).
echo "backend: cleaning up before stop"
