# The challenge container: the same environment README.md installs.
# Build: docker build -t ecgdigitizer .
# Run:   docker run --gpus all -v /data:/data ecgdigitizer \
#            python run_model.py -d /data/hidden -m model -o /data/outputs
# CUDA is used when the container is given a GPU; otherwise the CPU.
FROM python:3.11-slim

# opencv-python-headless needs no GUI libraries; libgomp is OpenMP for torch and OpenCV.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /challenge
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
ENV PYTHONUNBUFFERED=1 MPLBACKEND=Agg
CMD ["python", "run_model.py", "-d", "examples/hidden", "-m", "model", "-o", "outputs/examples", "-v"]
