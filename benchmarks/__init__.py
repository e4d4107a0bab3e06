"""rnnzoo's benchmarks: training-step, forward-pass, memory and decoding
speed of every recurrent layer against Keras's LSTM and GRU, textbook cells
and plain matmuls. Run them with `python -m benchmarks.run`."""
