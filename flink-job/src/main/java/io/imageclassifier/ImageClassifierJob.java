package io.imageclassifier; public class ImageClassifierJob { public static void main(String[] a){} }
