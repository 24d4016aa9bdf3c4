package dev.jllm.formats.onnx;

import java.util.List;

/**
 * A graph input or output ({@code ValueInfoProto}) with its tensor type: element type and dimensions, each either
 * a number or a symbolic name such as {@code batch_size}.
 *
 * @param name the value's name
 * @param elementType the element type, {@link OnnxDataType#UNDEFINED} when the type is not a tensor type
 * @param dims the dimensions: a Long for a fixed size, a String for a symbolic one, null for an unknown one
 */
public record OnnxValueInfo(String name, OnnxDataType elementType, List<Object> dims) {
}
