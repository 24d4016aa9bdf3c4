/**
 * ONNX weight import. {@link dev.jllm.formats.onnx.OnnxModel} memory-maps an {@code .onnx} file and reads its
 * protobuf with a small wire-format reader of its own (no protobuf library): opset imports, the main graph's nodes
 * with their attributes, initializers (raw_data kept as views of the mapping; typed fields and external data files
 * also read), inputs and outputs with shapes. Every error names the file, the field path and the byte offset.
 *
 * <p>{@link dev.jllm.formats.onnx.OnnxBertImport} turns the export of a BERT-family encoder (BERT, MiniLM, BGE, E5,
 * …) into a Hugging Face {@code BertModel} folder. Exporters drop many weight names ({@code onnx::MatMul_1234}) and
 * store dense weights transposed, so the weights are found by following the data flow: the embedding Gathers and
 * their sum, each LayerNorm (fused or decomposed), the query/key/value projections told apart by where they meet in
 * the attention, the activation identified by evaluating its element-wise nodes, the residual sums and the optional
 * pooler. A graph that does not fit gets an error naming the operator and node that could not be placed.
 */
package dev.jllm.formats.onnx;
