package dev.jllm.formats.onnx;

import java.util.List;

/**
 * One node attribute ({@code AttributeProto}): its name and whichever of the single or repeated values it
 * carries. Graph-valued attributes (subgraphs of If/Loop) are noted by {@code hasGraph} but not read.
 *
 * @param name the attribute's name
 * @param type the AttributeType code (1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints, 8 strings, …)
 * @param f the float value
 * @param i the int value
 * @param s the string value, or null
 * @param t the tensor value, or null
 * @param floats the float values (empty when none)
 * @param ints the int values (empty when none)
 * @param strings the string values
 * @param hasGraph whether it holds a subgraph
 */
public record OnnxAttribute(String name, int type, float f, long i, String s, OnnxTensor t, float[] floats, long[] ints,
        List<String> strings, boolean hasGraph) {
    /** AttributeType FLOAT. */
    public static final int FLOAT = 1;
    /** AttributeType INT. */
    public static final int INT = 2;
    /** AttributeType STRING. */
    public static final int STRING = 3;
    /** AttributeType TENSOR. */
    public static final int TENSOR = 4;
    /** AttributeType FLOATS. */
    public static final int FLOATS = 6;
    /** AttributeType INTS. */
    public static final int INTS = 7;
}
